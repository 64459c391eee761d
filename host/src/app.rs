//! A loaded app: its components pre-instantiated against the host's imports,
//! its router, and the code that runs one request in a fresh instance.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Instant;

use anyhow::{Context, anyhow};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiBody, WasiHttpCtx, WasiHttpView};

use crate::kv::KvBackend;
use crate::logs::{GuestOutput, LogSink};
use crate::manifest::{Manifest, RouteDecl};
use crate::outbound::{AllowedHosts, OutboundHooks};
use crate::routes::{RouteMatch, Router};
use crate::runtime_config::{RuntimeConfig, StoreConfig};
use crate::state::{ComponentInfo, RequestState, Services};
use crate::variables::{AppVariables, ComponentVariables};
use crate::{Options, bindings, compile};

struct LoadedComponent {
    pre: ProxyPre<RequestState>,
    info: Arc<ComponentInfo>,
}

pub struct App {
    pub name: String,
    router: Router,
    components: HashMap<String, LoadedComponent>,
    services: Arc<Services>,
    logs: LogSink,
    this: Weak<App>,
    blocked: crate::networks::BlockedNetworks,
    names: crate::networks::NameTable,
}

impl App {
    pub async fn load(options: &Options, logs: LogSink) -> anyhow::Result<Arc<App>> {
        let manifest = Manifest::load(&options.manifest_path)?;
        let manifest_dir = options
            .manifest_path
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let runtime_config = match &options.runtime_config_path {
            Some(p) => RuntimeConfig::load(p)?,
            None => RuntimeConfig::default(),
        };
        let blocked = crate::networks::BlockedNetworks::parse(
            &runtime_config.outbound_networking.block_networks,
        )?;
        let variables =
            AppVariables::resolve(&manifest, &options.variables, |k| std::env::var(k).ok())?;

        let mut router = Router::default();
        for trigger in &manifest.trigger.http {
            if let RouteDecl::Path(route) = &trigger.route {
                router.add(route, &trigger.component)?;
            }
        }

        let mut services = build_services(&manifest, &runtime_config, &options.state_dir).await?;
        if let Some(max) = options.pg_max_connections {
            services.pg = Arc::new(crate::pg::PgPools::new(max));
        }
        let services = Arc::new(services);
        let linker = linker()?;
        let cache_dir = options
            .cache_dir
            .clone()
            .unwrap_or_else(|| manifest_dir.join("target/spin-local-cache"));
        let mut components = HashMap::new();
        for (id, decl) in &manifest.component {
            let path: PathBuf = manifest_dir.join(&decl.source);
            let component =
                compile::load(&path, &cache_dir).with_context(|| format!("component `{id}`"))?;
            let pre = linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!(
                        "component `{id}` ({}) imports something this host does not provide",
                        path.display()
                    )
                })?;
            let pre = ProxyPre::new(pre)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!("component `{id}` does not export wasi:http/incoming-handler")
                })?;
            let allowed = decl
                .allowed_outbound_hosts
                .iter()
                .map(|h| variables.expand(h))
                .collect::<anyhow::Result<Vec<_>>>()
                .with_context(|| format!("component `{id}`: allowed_outbound_hosts"))?;
            let info = ComponentInfo {
                id: id.clone(),
                key_value_stores: decl.key_value_stores.clone(),
                allowed_hosts: AllowedHosts::parse(&allowed)
                    .with_context(|| format!("component `{id}`"))?,
                variables: ComponentVariables::new(&variables, &decl.variables)
                    .with_context(|| format!("component `{id}`: variables"))?,
                environment: decl
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            };
            components.insert(
                id.clone(),
                LoadedComponent {
                    pre,
                    info: Arc::new(info),
                },
            );
        }
        Ok(Arc::new_cyclic(|this| App {
            name: manifest.application.name.clone(),
            router,
            components,
            services,
            logs,
            this: this.clone(),
            blocked,
            names: options.names.clone(),
        }))
    }

    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.router.routes()
    }

    /// Serves one request from the listener.
    pub async fn handle(
        &self,
        req: Request<hyper::body::Incoming>,
        client: SocketAddr,
        listen: SocketAddr,
    ) -> Response<WasiBody> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let Some(matched) = self.router.find(&path) else {
            self.logs.line(format!("{method} {path} -> 404 (no route)"));
            return plain(StatusCode::NOT_FOUND, "Not Found");
        };
        let req = req.map(|b| b.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        let req = with_spin_headers(req, &matched, Some(client), listen);
        let component = matched.component.clone();
        let response = self.invoke(&component, req).await;
        let response = response.unwrap_or_else(|e| {
            self.logs.line(format!("[{component}] error: {e:#}"));
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        });
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string();
        self.logs.line(format!(
            "{method} {path} -> {} [{component}] {:.1}ms request_id={request_id}",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1e3
        ));
        response
    }

    /// Service chaining: a request from one component to
    /// `http://<target>.spin.internal/...`, served in-process.
    pub async fn handle_chained(
        &self,
        target: &str,
        req: Request<WasiBody>,
    ) -> Result<Response<WasiBody>, wasmtime_wasi_http::Error> {
        if !self.components.contains_key(target) {
            return Err(wasmtime_wasi_http::Error::DestinationNotFound);
        }
        let path = req.uri().path().to_string();
        let matched = self
            .router
            .find(&path)
            .filter(|m| m.component == target)
            .unwrap_or(RouteMatch {
                component: target.to_string(),
                raw_route: "/...".into(),
                component_route: String::new(),
                path_info: path,
                params: Vec::new(),
            });
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let req = with_spin_headers(req, &matched, None, listen);
        self.invoke(target, req).await.map_err(|e| {
            self.logs
                .line(format!("[{target}] error in chained request: {e:#}"));
            wasmtime_wasi_http::Error::InternalError(Some(format!("{e:#}")))
        })
    }

    async fn invoke(
        &self,
        component: &str,
        req: Request<WasiBody>,
    ) -> anyhow::Result<Response<WasiBody>> {
        let loaded = self
            .components
            .get(component)
            .ok_or_else(|| anyhow!("no component `{component}`"))?;
        let output = GuestOutput {
            prefix: component.to_string(),
            sink: self.logs.clone(),
        };
        let mut wasi = WasiCtx::builder();
        wasi.stdout(output.clone()).stderr(output);
        // wasi:sockets as Spin offers it: TCP and UDP checked against the
        // component's allow-list, no name lookup.
        wasi.allow_tcp(true)
            .allow_udp(true)
            .allow_ip_name_lookup(false)
            .socket_addr_check(crate::outbound::socket_check(
                component.to_string(),
                loaded.info.allowed_hosts.clone(),
                self.blocked.clone(),
            ));
        for (k, v) in &loaded.info.environment {
            wasi.env(k, v);
        }
        let wasi = wasi.build();
        let state = RequestState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks {
                component: component.to_string(),
                allowed: loaded.info.allowed_hosts.clone(),
                app: self.this.clone(),
                blocked: self.blocked.clone(),
                names: self.names.clone(),
            },
            component: loaded.info.clone(),
            services: self.services.clone(),
        };
        let mut store = Store::new(compile::engine(), state);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(tx)?;
        let pre = loaded.pre.clone();
        // The guest runs in its own task so that it may keep working after it
        // has sent its response (Spin allows this; a component can respond and
        // then chain a request to another component).
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await
        });
        match rx.await {
            Ok(Ok(response)) => {
                let logs = self.logs.clone();
                let id = component.to_string();
                tokio::spawn(async move {
                    match task.await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            logs.line(format!("[{id}] trap after the response was sent: {e:#}"))
                        }
                        Err(e) => logs.line(format!("[{id}] guest task failed: {e}")),
                    }
                });
                Ok(response)
            }
            Ok(Err(code)) => Err(anyhow!(
                "component `{component}` answered with error code {code:?}"
            )),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(anyhow!(
                    "component `{component}` returned without setting a response"
                )),
                Ok(Err(e)) => {
                    Err(anyhow::Error::from(e).context(format!("component `{component}` trapped")))
                }
                Err(e) => Err(anyhow!("component `{component}` task failed: {e}")),
            },
        }
    }
}

fn linker() -> anyhow::Result<Linker<RequestState>> {
    let mut linker = Linker::new(compile::engine());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::SpinHost::add_to_linker::<_, HasSelf<RequestState>>(&mut linker, |s| s)?;
    Ok(linker)
}

async fn build_services(
    manifest: &Manifest,
    runtime_config: &RuntimeConfig,
    state_dir: &Path,
) -> anyhow::Result<Services> {
    let mut services = Services::default();
    for decl in manifest.component.values() {
        for label in &decl.key_value_stores {
            if services.kv.contains_key(label) {
                continue;
            }
            let backend = match runtime_config.store(label, state_dir)? {
                StoreConfig::Spin { path } => {
                    let path = path.unwrap_or_else(|| state_dir.join(format!("{label}.db")));
                    KvBackend::sqlite(&path, label)?
                }
                StoreConfig::Redis { url } => KvBackend::redis(&url).await?,
            };
            services.kv.insert(label.clone(), Arc::new(backend));
        }
    }
    Ok(services)
}

/// Adds Spin's request headers, dropping any the client sent under the same
/// names so a caller cannot spoof them.
fn with_spin_headers(
    mut req: Request<WasiBody>,
    m: &RouteMatch,
    client: Option<SocketAddr>,
    listen: SocketAddr,
) -> Request<WasiBody> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| listen.to_string());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let full_url = format!("http://{host}{path_and_query}");
    if req.uri().authority().is_none()
        && let Ok(uri) = full_url.parse()
    {
        *req.uri_mut() = uri;
    }
    let headers = req.headers_mut();
    let spoofed: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("spin-"))
        .cloned()
        .collect();
    for k in spoofed {
        headers.remove(k);
    }
    let mut set = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(n, v);
        }
    };
    set("spin-full-url", &full_url);
    set("spin-path-info", &m.path_info);
    set("spin-matched-route", &m.raw_route);
    set("spin-raw-component-route", &m.raw_route);
    set("spin-component-route", &m.component_route);
    set("spin-base-path", "/");
    if let Some(c) = client {
        set("spin-client-addr", &c.to_string());
    }
    for (name, value) in &m.params {
        set(
            &format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value,
        );
    }
    req
}

fn plain(status: StatusCode, text: &'static str) -> Response<WasiBody> {
    let body = Full::new(Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r
}
