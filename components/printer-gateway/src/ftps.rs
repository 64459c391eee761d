//! Uploads a sliced `.gcode.3mf` to a printer's FTPS server: implicit TLS
//! (TLS from the first byte, port 990 on a real printer), user `bblp`, the
//! access code as password, `PBSZ 0` + `PROT P` so the data channel is
//! encrypted too, binary `STOR` into the SD card's root (what the printer
//! names `file:///sdcard/<name>`). The certificate is checked against the
//! printer's pin, as on the MQTT link.

use std::sync::Arc;
use std::time::Duration;

use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::types::FileType;

use crate::bambu_lan::LAN_USER;
use crate::lan::LanPrinter;
use crate::pinning::{Alarm, PinStore, PinnedVerifier};

/// How long one upload may take before it counts as failed.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("FTPS to {host}:{port}: {reason}")]
    Ftp {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("FTPS upload to {host}:{port} took longer than {0:?}", UPLOAD_TIMEOUT)]
    Timeout { host: String, port: u16 },
}

/// Uploads `bytes` as `name` (a bare file name, e.g. `plate-42.gcode.3mf`).
pub async fn upload(
    printer: &LanPrinter,
    pins: &PinStore,
    alarm: &Alarm,
    name: &str,
    bytes: &[u8],
) -> Result<(), UploadError> {
    let (host, port) = (printer.host.clone(), printer.ftps_port);
    let attempt = upload_inner(printer, pins, alarm, name, bytes);
    match tokio::time::timeout(UPLOAD_TIMEOUT, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(UploadError::Ftp {
            host,
            port,
            reason: error.to_string(),
        }),
        Err(_) => Err(UploadError::Timeout { host, port }),
    }
}

async fn upload_inner(
    printer: &LanPrinter,
    pins: &PinStore,
    alarm: &Alarm,
    name: &str,
    bytes: &[u8],
) -> Result<(), suppaftp::FtpError> {
    let tls = PinnedVerifier::new(&printer.serial, pins.clone(), alarm.clone()).client_config();
    let connector =
        AsyncRustlsConnector::from(suppaftp::tokio_rustls::TlsConnector::from(Arc::new(tls)));
    let address = format!("{}:{}", printer.host, printer.ftps_port);
    let mut ftp =
        AsyncRustlsFtpStream::connect_secure_implicit(address, connector, &printer.host).await?;
    ftp.login(LAN_USER, printer.access_code.expose()).await?;
    // Implicit mode does not negotiate the data channel's protection: ask
    // for a private (TLS) data channel, as Bambu's own clients do.
    ftp.custom_command("PBSZ 0", &[suppaftp::Status::CommandOk])
        .await?;
    ftp.custom_command("PROT P", &[suppaftp::Status::CommandOk])
        .await?;
    ftp.transfer_type(FileType::Binary).await?;
    let mut reader = bytes;
    ftp.put_file(name, &mut reader).await?;
    ftp.quit().await?;
    Ok(())
}
