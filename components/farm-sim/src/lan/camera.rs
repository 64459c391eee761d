//! A simulated printer's camera: the P1/A1 "chamber image" stream, as the
//! gateway's client expects it (`printer_gateway::camera`): TLS with the
//! printer's certificate, an 80-byte login packet (0x40, 0x3000, `bblp`,
//! the access code), then a JPEG frame each second, each after a 16-byte
//! header with its length. A wrong login gets no frame: the connection is
//! closed, as a real printer does. Every printer of the simulated farm
//! serves this protocol, the X1-style ones included (the site file says
//! so: `"camera": "chamber_image"`), as none serves RTSPS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use printer_gateway::bambu_lan::LAN_USER;
use printer_gateway::camera::{LOGIN_LEN, frame_header, login_packet};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::machine::Machine;
use super::plate_view::{Heightmap, frame_jpeg};
use super::servers::Identity;
use printer_gateway::bambu::GcodeState;

/// How often a frame is sent (a P1 sends one every second or two).
pub const FRAME_EVERY: Duration = Duration::from_secs(1);
/// How long a client has to send its login packet.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Makes the current frame (JPEG); called on the blocking pool.
pub type Frames = Arc<dyn Fn() -> Vec<u8> + Send + Sync>;

/// The job on the plate, as the camera shows it: its file and its
/// plastic (from the G-code it prints).
#[derive(Debug, Clone)]
pub struct Scene {
    /// `file:///sdcard/<name>`, as the printer reports `gcode_file`.
    pub file: String,
    pub plate: Arc<Heightmap>,
}

/// The frames of a printer: what `machine` shows of `scene` now (the job
/// as far as it printed; spaghetti once its AI raised an HMS; an empty bed
/// once cleared). The last frame is kept until the picture changes.
pub fn frames_of(
    machine: Arc<std::sync::Mutex<Machine>>,
    scene: Arc<std::sync::Mutex<Option<Scene>>>,
) -> Frames {
    type Key = (String, u8, bool);
    let last: std::sync::Mutex<Option<(Key, Vec<u8>)>> = std::sync::Mutex::new(None);
    Arc::new(move || {
        let view = machine.lock().unwrap_or_else(|p| p.into_inner()).view();
        let scene = scene.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let plate = scene.filter(|s| !view.gcode_file.is_empty() && s.file == view.gcode_file);
        let percent = if view.gcode_state == GcodeState::Finish {
            100
        } else {
            view.mc_percent
        };
        let key = (view.gcode_file.clone(), percent, !view.hms.is_empty());
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((known, jpeg)) = last.as_ref()
            && *known == key
        {
            return jpeg.clone();
        }
        let spaghetti = key.2.then(|| super::fnv1a(view.gcode_file.as_bytes()));
        let jpeg = frame_jpeg(
            plate.as_ref().map(|s| s.plate.as_ref()),
            f64::from(percent) / 100.0,
            spaghetti,
        );
        *last = Some((key, jpeg.clone()));
        jpeg
    })
}

/// Whether `packet` is the login of `bblp` with `access_code`.
pub fn login_accepted(packet: &[u8; LOGIN_LEN], access_code: &str) -> bool {
    login_packet(LAN_USER, access_code).is_ok_and(|expected| &expected == packet)
}

/// Serves the camera on `listen` until the process ends.
pub async fn start_camera(
    listen: SocketAddr,
    identity: &Identity,
    access_code: &str,
    frames: Frames,
) -> anyhow::Result<()> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(identity.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
        )?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the camera {listen}"))?;
    let code = access_code.to_owned();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, frames, code) = (acceptor.clone(), frames.clone(), code.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut packet = [0u8; LOGIN_LEN];
                let read = tokio::time::timeout(LOGIN_TIMEOUT, tls.read_exact(&mut packet)).await;
                if !matches!(read, Ok(Ok(_))) || !login_accepted(&packet, &code) {
                    tracing::info!("camera login refused");
                    let _ = tls.shutdown().await;
                    return;
                }
                loop {
                    let make = frames.clone();
                    let Ok(jpeg) = tokio::task::spawn_blocking(move || make()).await else {
                        return;
                    };
                    let sent = async {
                        tls.write_all(&frame_header(jpeg.len())).await?;
                        tls.write_all(&jpeg).await?;
                        tls.flush().await
                    };
                    if sent.await.is_err() {
                        return;
                    }
                    tokio::time::sleep(FRAME_EVERY).await;
                }
            });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bblp_with_the_access_code_logs_in() {
        let good = login_packet("bblp", "12345678").expect("packet");
        assert!(login_accepted(&good, "12345678"));
        assert!(!login_accepted(&good, "87654321"));
        let other = login_packet("root", "12345678").expect("packet");
        assert!(!login_accepted(&other, "12345678"));
        let mut wrong_type = good;
        wrong_type[4] = 0x01;
        assert!(!login_accepted(&wrong_type, "12345678"));
    }
}
