//! A loopback relay into one pinned TLS connection, so a program that cannot
//! be given a pin (ffmpeg, for an X1's RTSPS camera) talks to the printer
//! only through a connection whose certificate the gateway checked itself.
//!
//! Checking the pin on a connection of its own and then letting ffmpeg open
//! another (ffmpeg's TLS client verifies nothing: its `tls_verify` defaults
//! to 0, and Debian 12's ffmpeg 5.1 takes no `-tls_verify` on an RTSPS
//! input) would leave a window in which another host could answer ffmpeg
//! and be sent the access code. Here the pinned connection is made first,
//! its handshake completed, and ffmpeg is pointed at a plain `rtsp://` URL
//! on `127.0.0.1` whose bytes the relay copies into that connection and
//! back: the access code only ever travels inside it.
//!
//! One client, once: the first connection accepted gets the relay; the
//! listener is closed then, so another local process can take at most the
//! place of the client it was meant for (which then fails), never a second
//! connection to the printer.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::CameraError;

/// How long each side's read waits before the relay turns to the other
/// side: short enough that a request and its answer cross without a
/// noticeable delay (RTSP's exchanges are a few round trips), long enough
/// not to spin.
const POLL: Duration = Duration::from_millis(5);

/// A pinned TLS connection to the printer (its handshake completed).
pub type PinnedStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// The relay's loopback address and its thread. Dropping it does not stop
/// the thread; [`Relay::finish`] waits for it, which ends when either side
/// closes or at the deadline.
pub struct Relay {
    pub port: u16,
    thread: JoinHandle<()>,
}

impl Relay {
    /// Listens on `127.0.0.1:<any free port>` and relays the first
    /// connection to `printer` until either side closes or `deadline`.
    /// Errors: [`CameraError::Io`] when no loopback port can be bound.
    pub fn start(printer: PinnedStream, deadline: Instant) -> Result<Relay, CameraError> {
        let io = |source| CameraError::Io {
            address: "127.0.0.1:0".into(),
            source,
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(io)?;
        let port = listener.local_addr().map_err(io)?.port();
        listener.set_nonblocking(true).map_err(io)?;
        let thread = std::thread::spawn(move || {
            if let Some(client) = accept_one(&listener, deadline) {
                drop(listener);
                relay(client, printer, deadline);
            }
        });
        Ok(Relay { port, thread })
    }

    /// Waits for the relay to end (the client closed, the printer closed,
    /// or the deadline passed).
    pub fn finish(self) {
        let _ = self.thread.join();
    }
}

fn accept_one(listener: &TcpListener, deadline: Instant) -> Option<TcpStream> {
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => return Some(stream),
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => return None,
        }
    }
    None
}

/// Copies bytes both ways, one thread, each side read with a [`POLL`]
/// timeout in turn (a rustls stream cannot be read and written from two
/// threads at once). Ends at the first close, error or the deadline, and
/// then closes both sides.
fn relay(mut client: TcpStream, mut printer: PinnedStream, deadline: Instant) {
    let ready = client.set_nonblocking(false).is_ok()
        && client.set_read_timeout(Some(POLL)).is_ok()
        && printer.sock.set_read_timeout(Some(POLL)).is_ok();
    let mut buf = vec![0u8; 64 * 1024];
    while ready && Instant::now() < deadline {
        match pump(&mut client, &mut printer, &mut buf) {
            Some(_) => {}
            None => break,
        }
        match pump(&mut printer, &mut client, &mut buf) {
            Some(_) => {}
            None => break,
        }
    }
    printer.conn.send_close_notify();
    let _ = printer.flush();
    let _ = client.shutdown(std::net::Shutdown::Both);
}

/// One read from `from` and its bytes written to `to`: `Some(n)` bytes
/// moved (0 when nothing was waiting), `None` when `from` closed or either
/// side failed.
fn pump(from: &mut impl Read, to: &mut impl Write, buf: &mut [u8]) -> Option<usize> {
    match from.read(buf) {
        Ok(0) => None,
        Ok(n) => (to.write_all(&buf[..n]).is_ok() && to.flush().is_ok()).then_some(n),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Some(0),
        Err(e) if e.kind() == ErrorKind::Interrupted => Some(0),
        Err(_) => None,
    }
}
