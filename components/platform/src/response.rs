//! Building successful responses.

use serde::Serialize;
use spin_sdk::http::Response;

/// A JSON response with the given status.
pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Response {
    // Serializing our own wire types cannot fail (no maps with non-string
    // keys, no failing Serialize impls); fall back to an empty object anyway.
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(status, bytes);
    response.set_header("content-type", "application/json");
    response
}

/// 200 with a JSON body.
pub fn ok<T: Serialize + ?Sized>(body: &T) -> Response {
    json(200, body)
}

/// 201 with a JSON body.
pub fn created<T: Serialize + ?Sized>(body: &T) -> Response {
    json(201, body)
}

/// 204 without a body.
pub fn no_content() -> Response {
    Response::new(204, Vec::new())
}
