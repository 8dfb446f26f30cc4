//! Bounds what a client that stops reading costs the server: a small kernel send
//! buffer, and `TCP_USER_TIMEOUT`, so the kernel aborts a connection whose sent data
//! stays unacknowledged (zero-window probes included) for `unread_timeout`. Its stream
//! then ends; the client resyncs on reconnect (a channel sends its current frame first).
//! Also raises the process's open-file limit, so thousands of streams fit.

use std::any::Any;

use actix_web::rt::net::TcpStream;
use socket2::SockRef;

use crate::config::SlowClients;

/// Applies `limits` to a newly accepted connection.
pub fn bound_unread(connection: &dyn Any, limits: &SlowClients) {
    let Some(stream) = connection.downcast_ref::<TcpStream>() else {
        return;
    };
    let socket = SockRef::from(stream);
    let bounded = socket
        .set_send_buffer_size(limits.send_buffer)
        .and_then(|()| socket.set_tcp_user_timeout(Some(limits.unread_timeout)));
    if let Err(e) = bounded {
        tracing::debug!(error = %e, "cannot bound the connection's unread data");
    }
}

/// Raises the soft limit on open files to the hard limit (each stream is one file);
/// returns the limit now in force.
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls only read or write the `rlimit` passed by reference.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}
