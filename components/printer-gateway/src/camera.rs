//! One still from a printer's camera, as PNG (the photo route takes PNG).
//!
//! - P1 and A1 series ([`CameraKind::ChamberImage`]): the "chamber image"
//!   stream, TLS on port 6000 ([`CHAMBER_IMAGE_PORT`]). The client sends one
//!   80-byte login packet ([`login_packet`]); the printer then sends JPEG
//!   frames (one every second or two), each after a 16-byte header whose
//!   first four bytes are the JPEG's length, little-endian
//!   ([`frame_len`]). A wrong access code gets no frame: the printer closes
//!   the connection. Sources: ha-bambulab (`pybambu/bambu_client.py`,
//!   `ChamberImageThread`: port 6000, the packet's words 0x40 and 0x3000,
//!   `bblp` and the code NUL-padded to 32 bytes, the 16-byte header whose
//!   first bytes are the little-endian payload size, frames starting
//!   FF D8 FF E0 and ending FF D9, no data at all on a wrong code) and
//!   Printernizer's camera notes (`docs/BAMBU_LAB_CAMERA_IMPLEMENTATION_PLAN.md`:
//!   the same packet and header; X1 on RTSP port 322).
//! - X1 series ([`CameraKind::Rtsps`]): RTSP over TLS on port 322
//!   ([`RTSPS_PORT`]), one H.264 stream at `/streaming/live/1`, user `bblp`
//!   and the access code as password ([`rtsps`]: read through Debian's
//!   `ffmpeg` as a child process, which writes one frame as PNG).
//!
//! The TLS certificate is the printer's own, self-signed: it is pinned on
//! first contact as the MQTT and FTPS ones are, under `<serial>/camera`
//! (a printer's services may present different certificates). ffmpeg
//! cannot be given a pin, so on an X1 the gateway makes the pinned
//! connection itself and ffmpeg reads through a loopback relay into it
//! ([`rtsps::rtsps_png`], [`relay`]).
//!
//! Blocking I/O with timeouts: the inspector runs on the blocking pool.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use crate::bambu_lan::LAN_USER;
use crate::pinning::{Alarm, PinStore, PinnedVerifier};

/// The P1/A1 chamber-image stream's port.
pub const CHAMBER_IMAGE_PORT: u16 = 6000;
/// The X1 series' RTSPS port (OpenBambuAPI `video.md`; Bambu Studio issue 1536).
pub const RTSPS_PORT: u16 = 322;
/// Bytes of the login packet: a 16-byte header, then the user and the
/// access code, each NUL-padded to 32 bytes.
pub const LOGIN_LEN: usize = 80;
/// Bytes of the header before each JPEG frame.
pub const FRAME_HEADER_LEN: usize = 16;
/// The largest frame taken (a P1's 1280 × 720 JPEG is 100–200 KB).
pub const MAX_FRAME: usize = 8 << 20;
/// JPEG's start-of-image marker (every frame starts with it).
pub const JPEG_SOI: [u8; 2] = [0xFF, 0xD8];

/// Which camera protocol a printer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraKind {
    /// P1/A1: the JPEG stream on 6000.
    ChamberImage,
    /// X1: RTSPS on 322, read through ffmpeg.
    Rtsps,
    /// No camera the gateway can read.
    None,
}

impl CameraKind {
    /// The protocol of a model (`bambu::model_from_serial`'s names):
    /// X1C/X1E RTSPS, P1P/P1S/A1/A1 mini the chamber image, else none.
    pub fn of_model(model: &str) -> Self {
        let model = model.to_ascii_uppercase();
        if model.starts_with("X1") {
            CameraKind::Rtsps
        } else if model.starts_with("P1") || model.starts_with("A1") {
            CameraKind::ChamberImage
        } else {
            CameraKind::None
        }
    }

    /// The default port of the protocol (6000, 322; 0 for none).
    pub fn default_port(self) -> u16 {
        match self {
            CameraKind::ChamberImage => CHAMBER_IMAGE_PORT,
            CameraKind::Rtsps => RTSPS_PORT,
            CameraKind::None => 0,
        }
    }
}

/// Why no still was taken.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("camera {address}: {source}")]
    Io {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("camera {address}: TLS: {reason}")]
    Tls { address: String, reason: String },
    /// The printer closed the connection before any frame: a wrong access
    /// code (or LAN liveview switched off at the printer).
    #[error(
        "camera {address}: the printer closed the stream without a frame (wrong access code, or LAN liveview off)"
    )]
    Refused { address: String },
    /// The X1 answered RTSP 401: the access code is wrong.
    #[error("camera {address}: the printer refused the access code (RTSP 401 Unauthorized)")]
    Unauthorized { address: String },
    #[error("camera {address}: malformed frame: {reason}")]
    Frame { address: String, reason: String },
    #[error("the access code is longer than 32 bytes")]
    AccessCode,
    #[error("JPEG: {0}")]
    Jpeg(String),
    #[error("ffmpeg: {0}")]
    Ffmpeg(String),
    #[error("this printer has no camera the gateway can read")]
    NoCamera,
}

/// The 80-byte login packet: u32 LE 0x40 (the payload's length), u32 LE
/// 0x3000 (the packet type), eight zero bytes, then `user` and
/// `access_code` NUL-padded to 32 bytes each.
pub fn login_packet(user: &str, access_code: &str) -> Result<[u8; LOGIN_LEN], CameraError> {
    if user.len() > 32 || access_code.len() > 32 {
        return Err(CameraError::AccessCode);
    }
    let mut packet = [0u8; LOGIN_LEN];
    packet[0..4].copy_from_slice(&0x40u32.to_le_bytes());
    packet[4..8].copy_from_slice(&0x3000u32.to_le_bytes());
    packet[16..16 + user.len()].copy_from_slice(user.as_bytes());
    packet[48..48 + access_code.len()].copy_from_slice(access_code.as_bytes());
    Ok(packet)
}

/// The JPEG length a frame header announces (bytes 0–3, little-endian;
/// the rest is `0, 1, 0` as u32 words and is not checked).
pub fn frame_len(header: &[u8; FRAME_HEADER_LEN]) -> usize {
    u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize
}

/// The frame header a printer sends before a `len`-byte JPEG.
pub fn frame_header(len: usize) -> [u8; FRAME_HEADER_LEN] {
    let mut header = [0u8; FRAME_HEADER_LEN];
    header[0..4].copy_from_slice(&(len as u32).to_le_bytes());
    header[8..12].copy_from_slice(&1u32.to_le_bytes());
    header
}

/// Where a printer's camera is and how to log in.
#[derive(Debug, Clone)]
pub struct CameraTarget {
    pub serial: String,
    pub host: String,
    pub port: u16,
    pub kind: CameraKind,
    pub access_code: crate::Secret,
}

/// One JPEG frame from a P1/A1 chamber-image stream, within `timeout`.
pub fn chamber_image_jpeg(
    target: &CameraTarget,
    pins: &PinStore,
    timeout: Duration,
) -> Result<Vec<u8>, CameraError> {
    let address = format!("{}:{}", target.host, target.port);
    let io = |source| CameraError::Io {
        address: address.clone(),
        source,
    };
    let deadline = Instant::now() + timeout;
    let mut tls = pinned_tls(target, pins, timeout)?;
    tls.write_all(&login_packet(LAN_USER, target.access_code.expose())?)
        .and_then(|()| tls.flush())
        .map_err(io)?;
    let mut header = [0u8; FRAME_HEADER_LEN];
    match read_full(&mut tls, &mut header, deadline) {
        Ok(true) => {}
        Ok(false) => return Err(CameraError::Refused { address }),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(CameraError::Refused { address });
        }
        Err(error) => return Err(io(error)),
    }
    let len = frame_len(&header);
    if !(4..=MAX_FRAME).contains(&len) {
        return Err(CameraError::Frame {
            address,
            reason: format!("announced length {len}"),
        });
    }
    let mut jpeg = vec![0u8; len];
    if !read_full(&mut tls, &mut jpeg, deadline).map_err(io)? {
        return Err(CameraError::Frame {
            address,
            reason: "the stream ended inside a frame".to_owned(),
        });
    }
    if jpeg[..2] != JPEG_SOI {
        return Err(CameraError::Frame {
            address,
            reason: "not a JPEG (no FF D8 start)".to_owned(),
        });
    }
    Ok(jpeg)
}

/// A TCP connection to `target` (connect, read and write timeouts
/// `timeout`) with a TLS client on it that accepts only the certificate
/// pinned under `<serial>/camera` (pinning it on first contact). The
/// handshake runs on first use.
pub(crate) fn pinned_tls(
    target: &CameraTarget,
    pins: &PinStore,
    timeout: Duration,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, CameraError> {
    let address = format!("{}:{}", target.host, target.port);
    let io = |source| CameraError::Io {
        address: address.clone(),
        source,
    };
    let socket = address
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| io(std::io::Error::other("the host has no address")))?;
    let tcp = TcpStream::connect_timeout(&socket, timeout).map_err(io)?;
    tcp.set_read_timeout(Some(timeout)).map_err(io)?;
    tcp.set_write_timeout(Some(timeout)).map_err(io)?;
    let verifier = PinnedVerifier::new(
        format!("{}/camera", target.serial),
        pins.clone(),
        Alarm::default(),
    );
    let name = ServerName::try_from(target.host.clone()).map_err(|e| CameraError::Tls {
        address: address.clone(),
        reason: e.to_string(),
    })?;
    let connection = rustls::ClientConnection::new(Arc::new(verifier.client_config()), name)
        .map_err(|e| CameraError::Tls {
            address: address.clone(),
            reason: e.to_string(),
        })?;
    Ok(rustls::StreamOwned::new(connection, tcp))
}

/// Fills `buf`; `Ok(false)` when the stream ended before its first byte.
fn read_full(stream: &mut impl Read, buf: &mut [u8], deadline: Instant) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        if Instant::now() > deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no frame in time",
            ));
        }
        match stream.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Decodes a JPEG (baseline or progressive, any subsampling) to 8-bit RGB:
/// `(width, height, pixels)`.
pub fn decode_jpeg(jpeg: &[u8]) -> Result<(usize, usize, Vec<u8>), CameraError> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    let pixels = decoder
        .decode()
        .map_err(|e| CameraError::Jpeg(format!("{e:?}")))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| CameraError::Jpeg("no dimensions".to_owned()))?;
    if pixels.len() != width * height * 3 {
        return Err(CameraError::Jpeg(format!(
            "{} bytes for {width} × {height} RGB",
            pixels.len()
        )));
    }
    Ok((width, height, pixels))
}

/// 8-bit RGB pixels as a PNG.
pub fn rgb_to_png(width: usize, height: usize, rgb: &[u8]) -> Result<Vec<u8>, CameraError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(rgb))
        .map_err(|e| CameraError::Jpeg(format!("PNG encoding: {e}")))?;
    Ok(out)
}

/// A JPEG frame re-encoded as PNG (same pixels; PNG is lossless).
pub fn jpeg_to_png(jpeg: &[u8]) -> Result<Vec<u8>, CameraError> {
    let (width, height, rgb) = decode_jpeg(jpeg)?;
    rgb_to_png(width, height, &rgb)
}

/// One still from `target`'s camera as PNG, within `timeout`.
pub fn still_png(
    target: &CameraTarget,
    pins: &PinStore,
    timeout: Duration,
) -> Result<Vec<u8>, CameraError> {
    match target.kind {
        CameraKind::ChamberImage => jpeg_to_png(&chamber_image_jpeg(target, pins, timeout)?),
        CameraKind::Rtsps => rtsps::rtsps_png(target, pins, timeout),
        CameraKind::None => Err(CameraError::NoCamera),
    }
}

#[path = "camera_relay.rs"]
pub mod relay;
#[path = "camera_rtsps.rs"]
pub mod rtsps;
pub use rtsps::{ffmpeg_png, ffmpeg_program, relay_url};

#[cfg(test)]
#[path = "camera_tests.rs"]
mod tests;
