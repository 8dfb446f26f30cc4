//! Options set on every accepted TCP connection before its first request: the one place
//! for socket tuning (`HttpServer::on_connect` in `startup/mod.rs` calls it).

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// Tunes one accepted connection. `TCP_NODELAY`: a response goes out as two writes
/// (headers, then the gzip body), and with Nagle's algorithm on the body would wait for
/// the client's delayed ACK, about 40 ms on every request after the first over a
/// kept-alive connection. A failure is logged and the connection served as it is.
pub(super) fn tune_connection(connection: &dyn std::any::Any, _: &mut Extensions) {
    let Some(stream) = connection.downcast_ref::<TcpStream>() else {
        return;
    };
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted connection");
    }
}
