//! The X1 camera path (issue 12, item 3, real printers) against a real
//! RTSPS server: GStreamer's rtsp-server (`tools/rtsps-camera/serve.py`,
//! Debian's packages) serving H.264 colour bars at `/streaming/live/1` over
//! TLS to user `bblp` and an access code; Debian's ffmpeg reads it.
//!
//! Without the packages (`scripts/services.sh up` installs them) these
//! tests fail when `CI` is set, and otherwise print why and return, as the
//! camera unit test does without ffmpeg.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use farm_sim::lan::{FailureRates, PrinterSettings};
use printer_gateway::Secret;
use printer_gateway::camera::{
    CameraError, CameraKind, CameraTarget, ffmpeg_png, ffmpeg_program, still_png,
};
use printer_gateway::pinning::PinStore;
use support::*;

/// Debian's Python, the one python3-gi installs into.
const PYTHON: &str = "/usr/bin/python3";

fn serve_py() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/rtsps-camera/serve.py")
}

/// Why this machine cannot run the test camera, if it cannot.
fn missing() -> Option<String> {
    let ffmpeg = Command::new(ffmpeg_program())
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !ffmpeg.is_ok_and(|s| s.success()) {
        return Some("ffmpeg is not installed".to_owned());
    }
    match Command::new(PYTHON).arg(serve_py()).arg("--check").output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Some(format!("{PYTHON}: {e}")),
    }
}

/// True when the test must return early (a developer machine without the
/// packages); panics instead when `CI` is set.
fn skip() -> bool {
    let Some(reason) = missing() else {
        return false;
    };
    let hint = "scripts/services.sh up installs the test camera's Debian packages";
    assert!(
        std::env::var_os("CI").is_none(),
        "the RTSPS test camera cannot run: {reason} ({hint})"
    );
    eprintln!("skipped: the RTSPS test camera cannot run: {reason} ({hint})");
    true
}

/// `serve.py` running on a free loopback port; killed when dropped.
struct Camera {
    child: Child,
    port: u16,
}

impl Camera {
    fn start(access_code: &str, auth: &str, (w, h): (u32, u32)) -> Self {
        let mut child = Command::new(PYTHON)
            .arg(serve_py())
            .args(["--port", "0", "--auth", auth])
            .args(["--width", &w.to_string(), "--height", &h.to_string()])
            // In the environment, not the process list.
            .env("RTSPS_CAMERA_ACCESS_CODE", access_code)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("serve.py");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve.py's ready line within 30 s");
        let port = line
            .strip_prefix("ready port=")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("not a ready line: {line:?}"));
        Self { child, port }
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn x1(serial: &str, port: u16, code: &str) -> CameraTarget {
    CameraTarget {
        serial: serial.into(),
        host: "127.0.0.1".into(),
        port,
        kind: CameraKind::of_model("X1C"),
        access_code: Secret::new(code),
    }
}

/// The 100% colour bars (videotestsrc `smpte100`), left to right, each a
/// seventh of the width: white, yellow, cyan, green, magenta, red, blue.
const BARS: [[u8; 3]; 7] = [
    [255, 255, 255],
    [255, 255, 0],
    [0, 255, 255],
    [0, 255, 0],
    [255, 0, 255],
    [255, 0, 0],
    [0, 0, 255],
];

/// The largest difference, in levels, between the picture and the bars,
/// over every pixel at least 8 px from a bar's edge.
fn worst_against_bars(w: usize, h: usize, rgb: &[u8]) -> u8 {
    let mut worst = 0;
    for (bar, colour) in BARS.iter().enumerate() {
        let (left, right) = (bar * w / 7 + 8, (bar + 1) * w / 7 - 8);
        for y in 0..h {
            for x in left..right {
                let pixel = &rgb[(y * w + x) * 3..][..3];
                for (got, want) in pixel.iter().zip(colour) {
                    worst = worst.max(got.abs_diff(*want));
                }
            }
        }
    }
    worst
}

/// Levels H.264 (quantizer 18) and the YUV round trip may move a bar.
const TOLERANCE: u8 = 24;

#[test]
fn an_x1_still_is_the_served_picture_as_png_with_basic_or_digest_auth() {
    if skip() {
        return;
    }
    let code = "39172846";
    let mut pins = Vec::new();
    for (auth, size) in [("basic", (640, 360)), ("digest", (320, 240))] {
        let camera = Camera::start(code, auth, size);
        let store = PinStore::in_memory();
        let started = Instant::now();
        let png = still_png(
            &x1("00M00A1", camera.port, code),
            &store,
            Duration::from_secs(20),
        )
        .unwrap_or_else(|e| panic!("{auth}: {e}"));
        let took = started.elapsed();
        let (w, h, rgb) = png_pixels(&png);
        assert_eq!((w as u32, h as u32), size, "{auth}");
        let worst = worst_against_bars(w, h, &rgb);
        println!("{auth}: {w}×{h} PNG in {took:.2?}, bars within {worst} levels");
        assert!(worst <= TOLERANCE, "{auth}: {worst} levels off the bars");
        pins.push((camera, store));
    }
    // Each server made its own certificate: the first one's pin refuses the
    // second server under the same serial, before ffmpeg runs.
    let (digest, basic_pins) = (&pins[1].0, &pins[0].1);
    let err = still_png(
        &x1("00M00A1", digest.port, code),
        basic_pins,
        Duration::from_secs(10),
    )
    .expect_err("another certificate");
    assert!(matches!(err, CameraError::Tls { .. }), "{err}");
    assert!(err.to_string().contains("pinned"), "{err}");
}

#[test]
fn a_wrong_access_code_is_unauthorized_and_its_text_never_holds_the_code() {
    if skip() {
        return;
    }
    for auth in ["basic", "digest"] {
        let camera = Camera::start("39172846", auth, (320, 240));
        let wrong = "k7Q2x9Zp";
        let started = Instant::now();
        let err = still_png(
            &x1("00M00A2", camera.port, wrong),
            &PinStore::in_memory(),
            Duration::from_secs(20),
        )
        .expect_err("a wrong code");
        println!("{auth}: {err} after {:.2?}", started.elapsed());
        assert!(
            matches!(err, CameraError::Unauthorized { .. }),
            "{auth}: {err}"
        );
        assert!(!err.to_string().contains(wrong), "{err}");
        assert!(!format!("{err:?}").contains(wrong), "{err:?}");
    }
}

#[test]
fn the_inspector_gives_up_on_a_refused_code_at_once_and_retries_other_errors() {
    if skip() {
        return;
    }
    use printer_gateway::inspector::{CameraInspector, Finished, Inspector};
    let camera = Camera::start("39172846", "basic", (320, 240));
    let part = Finished {
        serial: "00M00A4",
        plate_id: "plate-1",
        task_id: 1,
        mesh: None,
        color: "black",
    };
    // A wrong code will not heal in the 2 s between attempts: one try.
    let refused = CameraInspector::new(
        vec![x1("00M00A4", camera.port, "k7Q2x9Zp")],
        PinStore::in_memory(),
    );
    let started = Instant::now();
    let inspection = refused.inspect(&part);
    let took = started.elapsed();
    println!("refused code: no photo after {took:.2?}");
    assert!(inspection.photos.is_empty());
    assert!(took < Duration::from_secs(2), "{took:?}: retried");

    // Nothing listening may be a printer restarting: three tries, 2 s apart.
    let mut down = CameraInspector::new(
        vec![x1("00M00A4", farm_sim::testing::free_port(), "39172846")],
        PinStore::in_memory(),
    );
    down.timeout = Duration::from_secs(1);
    let started = Instant::now();
    assert!(down.inspect(&part).photos.is_empty());
    let took = started.elapsed();
    println!("camera down: no photo after {took:.2?}");
    assert!(took >= Duration::from_secs(4), "{took:?}: not retried");
}

/// A listener that accepts connections and never sends a byte; the
/// accepted sockets come out of the channel.
fn silent_listener() -> (u16, mpsc::Receiver<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if tx.send(stream).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

/// Whether `stream`'s peer closed it within `within` (EOF or reset).
fn closed_by_peer(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).expect("timeout");
    let mut byte = [0u8; 512];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

/// `openssl s_server` on a free loopback port: completes TLS handshakes
/// and never answers what comes after (a printer whose RTSP server hangs).
struct TlsThatNeverAnswers {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TlsThatNeverAnswers {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=00M00A3", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(made.success());
        let port = farm_sim::testing::free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            // stdin stays open: s_server would otherwise close on its EOF.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for TlsThatNeverAnswers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_x1_camera_down_or_silent_is_an_error_within_the_timeout() {
    if skip() {
        return;
    }
    let timeout = Duration::from_secs(4);
    let pins = PinStore::in_memory();

    // Nothing listening: at once.
    let port = farm_sim::testing::free_port();
    let started = Instant::now();
    let err = still_png(&x1("00M00A3", port, "39172846"), &pins, timeout).expect_err("closed");
    println!("closed port: {err} after {:.2?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(2), "{err}");

    // Accepts, never answers (not even TLS): the pin's handshake times out.
    let (port, _accepted) = silent_listener();
    let started = Instant::now();
    let err = still_png(&x1("00M00A3", port, "39172846"), &pins, timeout).expect_err("silent");
    let took = started.elapsed();
    println!("silent TCP: {err} after {took:.2?}");
    assert!(err.to_string().contains("no handshake within"), "{err}");
    assert!(took < timeout + Duration::from_secs(1), "{took:?}: {err}");

    // TLS, then no RTSP answer: ffmpeg's own socket timeout ends it.
    let tls = TlsThatNeverAnswers::start();
    let started = Instant::now();
    let err =
        still_png(&x1("00M00A3", tls.port, "39172846"), &pins, timeout).expect_err("no answer");
    let took = started.elapsed();
    println!("TLS without RTSP: {err} after {took:.2?}");
    assert!(matches!(err, CameraError::Ffmpeg(_)), "{err}");
    // ffmpeg gave up by itself (half the time left), before the kill.
    assert!(!err.to_string().contains("no frame within"), "{err}");
    assert!(took < timeout, "{took:?}: {err}");
    assert!(!err.to_string().contains("39172846"), "{err}");

    // And when ffmpeg itself would wait for ever (no socket timeout given),
    // the deadline kills it: the connection it held is closed at once.
    let (port, accepted) = silent_listener();
    let started = Instant::now();
    let url = format!("rtsps://127.0.0.1:{port}/streaming/live/1");
    let err =
        ffmpeg_png(&url, &["-rtsp_transport", "tcp"], Duration::from_secs(3)).expect_err("killed");
    let took = started.elapsed();
    println!("ffmpeg without a socket timeout: {err} after {took:.2?}");
    assert!(err.to_string().contains("no frame within"), "{err}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let mut held = accepted
        .recv_timeout(Duration::from_secs(1))
        .expect("ffmpeg connected");
    assert!(
        closed_by_peer(&mut held, Duration::from_secs(1)),
        "the killed ffmpeg's connection is closed"
    );
}

/// An X1 (serial 00M…, so the gateway's model X1C and camera RTSPS by
/// model) whose site entry points the camera at the served stream.
fn x1_site(settings: &PrinterSettings, camera_port: u16, path: &Path) {
    site_file(&[settings], path);
    let mut entries: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("site file")).expect("JSON");
    let entry = entries[0].as_object_mut().expect("an entry");
    assert_eq!(entry["model"], "X1C");
    entry.remove("camera");
    entry.insert("camera_port".into(), camera_port.into());
    std::fs::write(path, entries.to_string()).expect("site file");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_camera_inspector_uploads_an_x1s_rtsps_frame_as_png() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let serial = format!(
        "00M{}",
        &printer_gateway::testing::unique_tag()[..10].to_uppercase()
    );
    let settings = PrinterSettings {
        speed: 300.0,
        seed: 11,
        prepare_secs: 30.0,
        ..farm_sim::testing::printer(&serial, FailureRates::default(), dir.path())
    };
    let _printer = start_printer(&settings).await;
    let camera = Camera::start(&settings.access_code, "basic", (640, 360));
    let app = FakeApp::start().await;
    app.serve_mesh("cube.stl", block_stl(15.0, 15.0, 15.0));
    x1_site(&settings, camera.port, &dir.path().join("site.json"));
    app.queue_plate(cube_and_bar()[..1].to_vec());
    let mut env = gateway_env(&app, dir.path(), "0.5");
    env.retain(|(k, _)| k != "FARM_INSPECTOR");
    env.push(("FARM_INSPECTOR".into(), "camera".into()));
    let _gateway = start_in_process(&env, &[&settings]);

    until(Duration::from_secs(180), "the plate to be cleared", || {
        !app.state().clears.is_empty()
    })
    .await;
    assert_eq!(
        kinds(&plate_events(&app)),
        ["task_started", "task_finished"]
    );
    let photos = app.state().photos.clone();
    assert_eq!(photos.len(), 1, "{:?}", photos.keys());
    let ((_, name), png) = photos.into_iter().next().expect("one photo");
    assert_eq!(name, "camera.png");
    let (w, h, rgb) = png_pixels(&png);
    let worst = worst_against_bars(w, h, &rgb);
    println!("camera.png from the X1's stream: {w}×{h}, bars within {worst} levels");
    assert_eq!((w, h), (640, 360));
    assert!(worst <= TOLERANCE, "{worst} levels off the bars");
}

/// A TCP forwarder in front of `port` that counts the connections it
/// accepts (what the printer would see), each relayed both ways.
fn counting_forwarder(port: u16) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let front = listener.local_addr().expect("addr").port();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else {
                continue;
            };
            for (mut from, mut to) in [
                (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                ),
                (server, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            }
        }
    });
    (front, count)
}

/// ffmpeg verifies no certificate, so it never connects to the printer
/// itself: the gateway's one pinned connection carries the whole RTSP
/// session (ffmpeg reads it through a loopback relay). A pin checked on a
/// connection of its own, ffmpeg then opening another, would show two.
#[test]
fn an_x1_still_takes_one_pinned_connection_to_the_printer() {
    if skip() {
        return;
    }
    let code = "58213907";
    let camera = Camera::start(code, "basic", (320, 240));
    let (front, connections) = counting_forwarder(camera.port);
    let store = PinStore::in_memory();
    for still in 1..=2 {
        let png = still_png(&x1("00M00B2", front, code), &store, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("still {still}: {e}"));
        let (w, h, rgb) = png_pixels(&png);
        assert!(worst_against_bars(w, h, &rgb) <= TOLERANCE);
        let seen = connections.load(std::sync::atomic::Ordering::SeqCst);
        println!("still {still}: {w}×{h}, {seen} connection(s) to the printer so far");
        assert_eq!(seen, still, "one connection per still");
    }
}
