//! What one request's `Store` holds: WASI and wasi:http contexts, the
//! resource table, and the component's view of the app's services.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::variables;
use crate::kv::KvBackend;
use crate::outbound::{AllowedHosts, OutboundHooks};
use crate::pg::PgPools;
use crate::variables::ComponentVariables;

/// Per-component facts fixed at startup.
pub struct ComponentInfo {
    pub id: String,
    pub key_value_stores: Vec<String>,
    pub allowed_hosts: AllowedHosts,
    pub variables: ComponentVariables,
    /// `environment` from the manifest, given to the guest as WASI env vars.
    pub environment: Vec<(String, String)>,
}

/// Backends shared by every request.
#[derive(Default)]
pub struct Services {
    pub kv: HashMap<String, Arc<KvBackend>>,
    pub pg: Arc<PgPools>,
}

pub struct RequestState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub hooks: OutboundHooks,
    pub component: Arc<ComponentInfo>,
    pub services: Arc<Services>,
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl variables::Host for RequestState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, variables::Error>> {
        if !crate::manifest::is_valid_variable_name(&name) {
            return Ok(Err(variables::Error::InvalidName(name)));
        }
        Ok(match self.component.variables.get(&name) {
            Some(v) => Ok(v.to_string()),
            None => Err(variables::Error::Undefined(format!(
                "component `{}` has no variable `{name}`",
                self.component.id
            ))),
        })
    }
}
