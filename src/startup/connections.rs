//! Tuning of every accepted connection (`on_connect`): responses go out at once
//! (`TCP_NODELAY`), not held back by Nagle's algorithm until the client's delayed ACK.

use std::any::Any;

use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;

/// Sets `TCP_NODELAY` on a newly accepted connection.
pub fn tune_connection(connection: &dyn Any, _data: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<TcpStream>() {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    }
}
