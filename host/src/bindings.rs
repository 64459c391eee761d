//! Host-side bindings for the Spin interfaces in `wit/` (key-value,
//! variables, postgres). WASI and wasi:http come from wasmtime's own crates.

wasmtime::component::bindgen!({
    path: "wit",
    world: "spin-host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::kv::StoreHandle,
        "spin:postgres/postgres.connection": crate::pg::PgConnection,
    },
});

pub use fermyon::spin::{key_value, variables};
pub use spin::postgres::postgres;
