//! The X1 series' camera: RTSP over TLS (RTSPS) on port 322, one H.264
//! stream at `rtsps://bblp:<access code>@<host>:322/streaming/live/1`.
//! Sources: OpenBambuAPI's `video.md` (port 322, the path, TLS, user
//! `bblp`, the LAN access code as password), Bambu Studio issue 1536
//! (RTSP over TCP, encryption on, "LAN Mode Liveview" switched on at the
//! printer), hisptoot/BambuSource2Raw issue 7 (H.264 over RTSP/RTSPS).
//! Whether the printer asks for Basic or Digest authentication is not
//! documented; ffmpeg answers either with the URL's credentials, and the
//! tests run both against GStreamer's rtsp-server
//! (`tools/rtsps-camera/serve.py`).
//!
//! The gateway does not decode video itself: Debian's `ffmpeg` (a child
//! process, [`ffmpeg_png`]) reads the stream until its first decodable
//! frame and writes it as PNG. ffmpeg's TLS client cannot be given a pin
//! (its `tls_verify` defaults to 0, and Debian 12's ffmpeg 5.1 refuses
//! `-tls_verify` as an option of an RTSPS input: "Option tls_verify not
//! found"), so the gateway makes the TLS connection itself, pinned under
//! `<serial>/camera`, and ffmpeg reads plain RTSP from a loopback relay
//! into that one connection ([`super::relay`], [`relay_url`]): the access
//! code never travels outside a connection whose certificate was checked.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::relay::{PinnedStream, Relay};
use super::{CameraError, CameraTarget, pinned_tls};
use crate::bambu_lan::LAN_USER;
use crate::pinning::PinStore;

/// The X1's camera path.
pub const STREAM_PATH: &str = "/streaming/live/1";
/// The shortest socket timeout handed to ffmpeg.
const MIN_SOCKET_TIMEOUT: Duration = Duration::from_secs(1);

/// The URL ffmpeg reads: the X1's stream path on the loopback relay,
/// `rtsp://bblp:<access code>@127.0.0.1:<relay port>/streaming/live/1`
/// (plain RTSP: the relay carries it inside the pinned TLS connection to
/// the printer's RTSPS port). Bambu access codes are 8 letters and digits,
/// so the code goes into the URL as it is.
pub fn relay_url(relay_port: u16, access_code: &str) -> String {
    format!("rtsp://{LAN_USER}:{access_code}@127.0.0.1:{relay_port}{STREAM_PATH}")
}

/// Where the `ffmpeg` program is (`FARM_FFMPEG`, else `ffmpeg` on the PATH).
pub fn ffmpeg_program() -> String {
    std::env::var("FARM_FFMPEG")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "ffmpeg".to_owned())
}

/// The input options of an X1 stream: `-rtsp_transport tcp` (interleaved
/// RTP, as the printer serves it) and `-timeout <µs>` (ffmpeg ≥ 5.0: the
/// socket I/O timeout in microseconds, so a silent printer is an error of
/// ffmpeg's own, "Connection timed out"; in ffmpeg 4 `-timeout` meant
/// listen, which [`ffmpeg_png`]'s kill still bounds).
pub fn input_options(socket_timeout: Duration) -> Vec<String> {
    let micros = socket_timeout.max(MIN_SOCKET_TIMEOUT).as_micros();
    ["-rtsp_transport", "tcp", "-timeout"]
        .into_iter()
        .map(str::to_owned)
        .chain([micros.to_string()])
        .collect()
}

/// One frame of `input` as PNG, by `ffmpeg -i <input> -frames:v 1 -c:v png
/// -f image2pipe -`, the child killed after `timeout`. `input_options` go
/// before `-i`. Errors: [`CameraError::Ffmpeg`] with ffmpeg's last stderr
/// line (or "no frame within …" when killed).
pub fn ffmpeg_png(
    input: &str,
    input_options: &[&str],
    timeout: Duration,
) -> Result<Vec<u8>, CameraError> {
    let mut child = Command::new(ffmpeg_program())
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(input_options)
        .args([
            "-i",
            input,
            "-frames:v",
            "1",
            "-c:v",
            "png",
            "-f",
            "image2pipe",
            "-",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CameraError::Ffmpeg(format!("could not start {}: {e}", ffmpeg_program())))?;
    // Read both pipes on their own threads so a full pipe never stalls it.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = stdout.as_mut() {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CameraError::Ffmpeg(format!("no frame within {timeout:?}")));
            }
            Err(e) => return Err(CameraError::Ffmpeg(e.to_string())),
        }
    };
    let png = out.join().unwrap_or_default();
    let message = err.join().unwrap_or_default();
    if !status.success() || !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        let message = message.lines().last().unwrap_or("no output").to_owned();
        return Err(CameraError::Ffmpeg(format!("{status}: {message}")));
    }
    Ok(png)
}

/// A TLS connection to `target` that accepted only the certificate pinned
/// under `<serial>/camera` (pinning it on first contact), its handshake
/// completed. Errors: [`CameraError::Io`] (no connection),
/// [`CameraError::Tls`] (another certificate, no TLS, or no handshake
/// within `timeout`).
pub fn pinned_handshake(
    target: &CameraTarget,
    pins: &PinStore,
    timeout: Duration,
) -> Result<PinnedStream, CameraError> {
    let mut tls = pinned_tls(target, pins, timeout)?;
    let tls_error = |e: std::io::Error| CameraError::Tls {
        address: format!("{}:{}", target.host, target.port),
        reason: match e.kind() {
            // The socket's read timeout (EAGAIN on Linux).
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("no handshake within {timeout:?}")
            }
            _ => e.to_string(),
        },
    };
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).map_err(tls_error)?;
    }
    Ok(tls)
}

/// One still from an X1's camera as PNG within `timeout`: the pinned
/// connection ([`pinned_handshake`]), the loopback relay into it, then
/// ffmpeg on [`relay_url`] with half the time left as its socket timeout.
/// A 401 is [`CameraError::Unauthorized`]; no error text contains the
/// access code.
pub fn rtsps_png(
    target: &CameraTarget,
    pins: &PinStore,
    timeout: Duration,
) -> Result<Vec<u8>, CameraError> {
    let deadline = Instant::now() + timeout;
    let printer = pinned_handshake(target, pins, timeout)?;
    let relay = Relay::start(printer, deadline)?;
    let left = deadline.saturating_duration_since(Instant::now());
    let code = target.access_code.expose();
    let options = input_options(left / 2);
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let png = ffmpeg_png(&relay_url(relay.port, code), &options, left);
    // ffmpeg has exited (or was killed): the relay sees its side close.
    relay.finish();
    png.map_err(|e| match e {
        CameraError::Ffmpeg(m) if m.contains("401 Unauthorized") => CameraError::Unauthorized {
            address: format!("{}:{}", target.host, target.port),
        },
        // ffmpeg quotes the URL: the access code never reaches a log.
        CameraError::Ffmpeg(m) if !code.is_empty() => CameraError::Ffmpeg(m.replace(code, "***")),
        other => other,
    })
}
