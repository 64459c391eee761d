//! `farm-s3-store`: the local S3-compatible object store for development and
//! tests. It serves a directory with the `s3s-fs` library (each directory
//! under the root is a bucket) behind two rules AWS S3 applies and s3s 0.14.1
//! does not:
//!
//! - a signed request that carries an `x-amz-*` header its signature does not
//!   cover is refused with `403 AccessDenied` (see `rules.rs`); without this a
//!   presigned PUT plus an unsigned `x-amz-copy-source` copies any object;
//! - conditional writes (`If-None-Match: *`, `If-Match`) are checked and
//!   applied as one step: they run one at a time, so of two concurrent
//!   `If-None-Match: *` PUTs to one key exactly one succeeds and the other
//!   gets `412 PreconditionFailed`, as on AWS.
//!
//!
//! and answers CORS for the origins given with `--cors-origin` (see
//! `cors.rs`), as a bucket's CORS configuration does on AWS.
//!
//! ```text
//! farm-s3-store --host 127.0.0.1 --port 19000 --access-key K --secret-key S \
//!   [--cors-origin 'http://127.0.0.1:*']... <root>
//! ```

mod cors;
mod rules;

use std::path::PathBuf;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{HttpError, HttpResponse, S3Error, S3ErrorCode};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

struct Options {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    root: PathBuf,
    cors_origins: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: farm-s3-store --host <addr> --port <port> --access-key <key> --secret-key <secret> [--cors-origin <origin>]... <root dir>"
    );
    std::process::exit(2)
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let (mut host, mut port, mut access_key, mut secret_key, mut root) =
        ("127.0.0.1".to_owned(), 19000u16, None, None, None);
    let mut cors_origins = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--version" => {
                println!("farm-s3-store {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0)
            }
            "--host" => host = value(),
            "--port" => port = value().parse().unwrap_or_else(|_| usage()),
            "--access-key" => access_key = Some(value()),
            "--secret-key" => secret_key = Some(value()),
            "--cors-origin" => cors_origins.push(value()),
            other if !other.starts_with('-') && root.is_none() => root = Some(PathBuf::from(other)),
            _ => usage(),
        }
    }
    match (access_key, secret_key, root) {
        (Some(access_key), Some(secret_key), Some(root)) => Options {
            host,
            port,
            access_key,
            secret_key,
            root,
            cors_origins,
        },
        _ => usage(),
    }
}

/// The s3s service with the AWS rules in front of it.
#[derive(Clone)]
struct Store {
    s3: S3Service,
    /// Held for the whole of each conditional write (check and write).
    conditional_writes: Arc<Mutex<()>>,
    cors_origins: Arc<Vec<String>>,
}

impl Store {
    async fn serve(self, req: http::Request<Incoming>) -> Result<HttpResponse, HttpError> {
        // A preflight carries no signature: it is answered before the rules.
        if cors::is_preflight(req.method(), req.headers()) {
            return Ok(cors::preflight(&self.cors_origins, req.headers()));
        }
        let origin = req
            .headers()
            .get("origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cors_origins = self.cors_origins.clone();
        let mut response = self.answer(req).await?;
        cors::decorate(&cors_origins, origin.as_deref(), response.headers_mut());
        Ok(response)
    }

    async fn answer(self, req: http::Request<Incoming>) -> Result<HttpResponse, HttpError> {
        let unsigned = rules::unsigned_amz_headers(req.uri().query(), req.headers());
        if !unsigned.is_empty() {
            eprintln!(
                "refused {} {}: unsigned headers {}",
                req.method(),
                req.uri().path(),
                unsigned.join(", ")
            );
            let error = S3Error::with_message(
                S3ErrorCode::AccessDenied,
                format!(
                    "There were headers present in the request which were not signed: {}",
                    unsigned.join(", ")
                ),
            );
            return error
                .to_http_response()
                .map_err(|e| HttpError::new(Box::new(e)));
        }
        let req = req.map(s3s::Body::from);
        if rules::is_conditional_write(req.method(), req.headers()) {
            let _one_at_a_time = self.conditional_writes.lock().await;
            self.s3.call(req).await
        } else {
            self.s3.call(req).await
        }
    }
}

#[tokio::main]
async fn main() -> Result<std::convert::Infallible, Box<dyn std::error::Error>> {
    let options = parse_args();
    std::fs::create_dir_all(&options.root)?;
    let fs = s3s_fs::FileSystem::new(&options.root)
        .map_err(|e| format!("cannot serve {}: {e:?}", options.root.display()))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(
        options.access_key.as_str(),
        options.secret_key.as_str(),
    ));
    let store = Store {
        s3: builder.build(),
        conditional_writes: Arc::new(Mutex::new(())),
        cors_origins: Arc::new(options.cors_origins.clone()),
    };
    let listener = TcpListener::bind((options.host.as_str(), options.port)).await?;
    eprintln!(
        "farm-s3-store {} serving {} on http://{}",
        env!("CARGO_PKG_VERSION"),
        options.root.display(),
        listener.local_addr()?
    );
    let server = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let store = store.clone();
        let server = server.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| store.clone().serve(req));
            let _ = server.serve_connection(TokioIo::new(socket), service).await;
        });
    }
}
