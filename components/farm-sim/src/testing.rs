//! What the tests of both the simulated farm and the gateway need to stand
//! simulated LAN printers up (one home, so the two suites cannot drift):
//! free loopback ports, a printer's settings, the gateway's view of it
//! (its site-file entry and `LanPrinter`), a box mesh, test logs.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use printer_gateway::lan::{Filament, LanPrinter};

use crate::lan::{FailureRates, PrinterSettings, site_entry};

/// Logs to the test output when `RUST_LOG` names a level (debugging).
pub fn logs() {
    if let Some(level) = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
    {
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_test_writer()
            .try_init();
    }
}

/// A loopback port free now (the kernel's choice).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// 127.0.0.1 on a [`free_port`].
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// A printer `serial` on free loopback ports, its files under `dir`: an
/// access code of its own, black PLA loaded, speed 300, a report every
/// 100 ms, 60 s of PREPARE, seed 7, X1-style full reports for an `00M`
/// serial. Tests change what they need with struct update syntax.
pub fn printer(serial: &str, failures: FailureRates, dir: &Path) -> PrinterSettings {
    PrinterSettings {
        serial: serial.to_owned(),
        access_code: format!("{:08}", free_port()),
        mqtt: loopback(),
        ftps: loopback(),
        camera: loopback(),
        filament: Filament {
            material: "PLA".into(),
            color: "000000FF".into(),
        },
        full_reports: serial.starts_with("00M"),
        speed: 300.0,
        report_every: Duration::from_millis(100),
        failures,
        seed: 7,
        dir: dir.join(serial),
        prepare_secs: 60.0,
    }
}

/// The gateway's configuration of `settings`' printer, as its site file
/// gives it ([`site_entry`] read back).
pub fn lan_printer(settings: &PrinterSettings) -> LanPrinter {
    let text = serde_json::Value::Array(vec![site_entry(settings)]).to_string();
    printer_gateway::lan::parse_site_printers("test", &text)
        .expect("a valid site entry")
        .remove(0)
}

/// The gateway's site file for `printers`, written to `path`.
pub fn write_site_file(printers: &[&PrinterSettings], path: &Path) {
    let entries: Vec<_> = printers.iter().map(|p| site_entry(p)).collect();
    std::fs::write(path, serde_json::Value::Array(entries).to_string()).expect("site file");
}

/// A closed box `w` × `d` × `h` mm as ASCII STL (outward-wound).
pub fn block_stl(w: f64, d: f64, h: f64) -> Vec<u8> {
    let v = |x: u8, y: u8, z: u8| [f64::from(x) * w, f64::from(y) * d, f64::from(z) * h];
    let quads = [
        [v(0, 0, 0), v(0, 1, 0), v(1, 1, 0), v(1, 0, 0)],
        [v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1)],
        [v(0, 0, 0), v(1, 0, 0), v(1, 0, 1), v(0, 0, 1)],
        [v(0, 1, 0), v(0, 1, 1), v(1, 1, 1), v(1, 1, 0)],
        [v(0, 0, 0), v(0, 0, 1), v(0, 1, 1), v(0, 1, 0)],
        [v(1, 0, 0), v(1, 1, 0), v(1, 1, 1), v(1, 0, 1)],
    ];
    let mut out = String::from("solid block\n");
    for q in quads {
        for t in [[q[0], q[1], q[2]], [q[0], q[2], q[3]]] {
            out.push_str("facet normal 0 0 0\nouter loop\n");
            for p in t {
                out.push_str(&format!("vertex {} {} {}\n", p[0], p[1], p[2]));
            }
            out.push_str("endloop\nendfacet\n");
        }
    }
    out.push_str("endsolid block\n");
    out.into_bytes()
}
