//! The browser tests' tools (included with `#[path]` by browser_pages.rs;
//! as a test target of its own it holds no tests): chromium-driver and a
//! chromium session (fantoccini), screenshots with the loopback check,
//! waiting on the page's scripts, reading the WebGL canvas back, and the
//! meshes the tests upload.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use farm_tests::repo_root;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The part: a 20 × 30 × 10 mm box as binary STL (12 triangles), so the
/// analysis the page shows can be checked against known figures.
pub fn box_stl(dx: f32, dy: f32, dz: f32) -> Vec<u8> {
    let v = |x: f32, y: f32, z: f32| [x * dx, y * dy, z * dz];
    let quads = [
        // each face as two triangles, counter-clockwise seen from outside
        [v(0., 0., 0.), v(0., 1., 0.), v(1., 1., 0.), v(1., 0., 0.)], // bottom (-z)
        [v(0., 0., 1.), v(1., 0., 1.), v(1., 1., 1.), v(0., 1., 1.)], // top (+z)
        [v(0., 0., 0.), v(1., 0., 0.), v(1., 0., 1.), v(0., 0., 1.)], // front (-y)
        [v(0., 1., 0.), v(0., 1., 1.), v(1., 1., 1.), v(1., 1., 0.)], // back (+y)
        [v(0., 0., 0.), v(0., 0., 1.), v(0., 1., 1.), v(0., 1., 0.)], // left (-x)
        [v(1., 0., 0.), v(1., 1., 0.), v(1., 1., 1.), v(1., 0., 1.)], // right (+x)
    ];
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&12u32.to_le_bytes());
    for q in quads {
        for tri in [[q[0], q[1], q[2]], [q[0], q[2], q[3]]] {
            out.extend_from_slice(&[0u8; 12]); // normal: recomputed by readers
            for p in tri {
                for c in p {
                    out.extend_from_slice(&c.to_le_bytes());
                }
            }
            out.extend_from_slice(&[0u8; 2]);
        }
    }
    out
}

/// The same kind of box as OBJ text: 8 vertices, 6 quads (1-based indices,
/// counter-clockwise seen from outside).
pub fn box_obj(dx: f32, dy: f32, dz: f32) -> String {
    let mut out = String::new();
    for (x, y, z) in [
        (0., 0., 0.),
        (1., 0., 0.),
        (1., 1., 0.),
        (0., 1., 0.),
        (0., 0., 1.),
        (1., 0., 1.),
        (1., 1., 1.),
        (0., 1., 1.),
    ] {
        out.push_str(&format!("v {} {} {}\n", x * dx, y * dy, z * dz));
    }
    out.push_str("f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 4 8 7 3\nf 1 5 8 4\nf 2 3 7 6\n");
    out
}

/// chromium-driver, from `FARM_CHROMEDRIVER`, the PATH, or installed now.
pub fn chromedriver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FARM_CHROMEDRIVER") {
        return Some(PathBuf::from(p));
    }
    let installed = Command::new("bash")
        .arg(repo_root().join("scripts/browser.sh"))
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&installed.stdout).trim().to_owned();
    (installed.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
}

pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_driver(path: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{url}/status")).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { child, url }
}

pub async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("FARM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            // WebGL without a GPU: SwiftShader, which headless Chromium
            // only enables when asked.
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,1800", "--use-angle=swiftshader",
                     "--enable-unsafe-swiftshader", "--no-proxy-server"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

/// The screenshots' folder: `target/browser-screenshots/` for
/// browser_pages.rs, `target/browser-screenshots/<test file>/` for another
/// browser test file (this file is compiled into each). Its PNG files are
/// removed once per run of the test binary (the tests of one file run in
/// one process), so only this run's pages are there to review and one
/// file's run leaves the others' screenshots alone.
pub fn screenshots() -> PathBuf {
    static EMPTIED: std::sync::Once = std::sync::Once::new();
    let mut dir = repo_root().join("target/browser-screenshots");
    let test = env!("CARGO_CRATE_NAME");
    if test != "browser_pages" {
        dir.push(test);
    }
    EMPTIED.call_once(|| {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|e| e == "png") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Checks that everything the page loaded came from loopback (the app and
/// the object store; no third-party request at run time, issue 15 item 10),
/// then writes its screenshot.
pub async fn snap(c: &Client, name: &str) {
    let loaded = c
        .execute(
            "return [location.href].concat(performance.getEntriesByType('resource').map((e) => e.name))",
            vec![],
        )
        .await
        .expect("the page's requests");
    let loaded = loaded.as_array().expect("URLs");
    for url in loaded {
        let url = url.as_str().unwrap_or("");
        let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{name}: {url}: {e}"));
        let local = matches!(parsed.scheme(), "data" | "blob")
            || matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        assert!(local, "{name}: a request off loopback: {url}");
    }
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshots().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!(
        "screenshot: {} ({} URLs loaded, all on loopback)",
        path.display(),
        loaded.len()
    );
}

/// Waits until `script` (a function body returning a value) returns a
/// truthy value, and returns it.
pub async fn wait_js(c: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = c.execute(script, vec![]).await.unwrap_or(Value::Null);
        if !(v.is_null() || v == false || v == "" || v == 0) {
            return v;
        }
        if Instant::now() > deadline {
            let text = c
                .execute("return document.body.innerText", vec![])
                .await
                .unwrap_or_default();
            let hint = if text.to_string().contains("Upload failed: Failed to fetch") {
                "\n(the object store refused the browser's PUT: it answers no CORS for the \
                 app's origin; scripts/services.sh up restarts the store it started with CORS)"
            } else {
                ""
            };
            panic!("timed out waiting for {what}; the page says:\n{text}{hint}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} on the page"))
        .text()
        .await
        .expect("text")
}

pub async fn fill(c: &Client, id: &str, value: &str) {
    let el = c.find(Locator::Id(id)).await.expect(id);
    el.clear().await.expect("clear");
    el.send_keys(value).await.expect("type");
}

/// Share of the canvas's pixels in the part's colour (the viewer draws the
/// part blue, `#2f6fb3`, lit; background and grid are grey), read back
/// from the WebGL canvas the page drew.
pub const PART_PIXELS: &str = "const src = document.querySelector(arguments[0] + ' canvas');
  if (!src) return 0;
  const c = document.createElement('canvas'); c.width = src.width; c.height = src.height;
  const g = c.getContext('2d'); g.drawImage(src, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 2] > d[i] + 40 && d[i + 2] > d[i + 1] + 15) n++;
  return n / (c.width * c.height);";

pub async fn part_share(c: &Client, container: &str) -> f64 {
    wait_js(
        c,
        "the 3D view",
        &format!("return document.querySelector('{container}')?.dataset.rendered === 'true'"),
    )
    .await;
    c.execute(PART_PIXELS, vec![json!(container)])
        .await
        .expect("pixels")
        .as_f64()
        .expect("a share")
}
