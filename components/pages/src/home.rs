//! `GET /`: the instant-price page. Everything after the first paint is
//! `assets/app/home.js` calling the REST API with the person's key (kept in
//! `sessionStorage` for the tab's life only): `POST /v1/connect` (and
//! `/v1/connect/verify`) for a key, `POST /v1/files/presign`, the presigned
//! `PUT` straight to the object store, `POST /v1/files/confirm`,
//! `GET /v1/files/{id}` until `ready`, `POST /v1/quotes`, and
//! `POST /v1/checkout_sessions`, whose `review_url` the page opens.

use farm_platform::html::{Assets, page_with_assets};
use farm_platform::{ApiError, Ctx};
use spin_sdk::http::Response;

const BODY: &str = r#"<h1>Instant price for a 3D print</h1>
<p class="muted">Drop an STL, 3MF or OBJ file: you see it in 3D at once, then our analysis, the price and the lead time. Files go straight to our object store (at most 32 MiB).</p>
<section aria-labelledby="key-h">
<h2 id="key-h">1. Your API key</h2>
<p id="key-state" role="status">No key yet: paste one, or get one with your email.</p>
<form id="key-form" class="row"><label for="api-key">API key</label><input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" required><button type="submit">Use this key</button></form>
<details id="connect"><summary>No key? Connect with your email</summary>
<form id="connect-form" class="stack"><label for="connect-email">Email</label><input id="connect-email" type="email" autocomplete="email" required>
<label for="connect-name">Your name or team</label><input id="connect-name" autocomplete="name" required>
<label for="connect-mode">Mode</label><select id="connect-mode"><option value="test">Test (no money moves)</option><option value="live">Live</option></select>
<button type="submit">Get a key</button></form>
<form id="verify-form" class="stack" hidden><label for="verify-code">The 6-digit code we mailed you</label><input id="verify-code" inputmode="numeric" autocomplete="one-time-code" required><button type="submit">Verify</button></form>
</details>
<p><button type="button" id="forget-key" hidden>Forget the key</button></p>
</section>
<section aria-labelledby="part-h">
<h2 id="part-h">2. Your part</h2>
<div id="drop" class="drop"><p><label for="file-input">Drop a mesh here, or choose one (.stl, .3mf, .obj)</label></p><input id="file-input" type="file" accept=".stl,.3mf,.obj"></div>
<div id="viewer" class="viewer" role="img" aria-label="3D view of the part (drag to turn, scroll or pinch to zoom, arrow keys to pan)" tabindex="0"></div>
<p id="upload-status" role="status" aria-live="polite"></p>
<div id="analysis"></div>
</section>
<section aria-labelledby="options-h">
<h2 id="options-h">3. Material, colour, quantity</h2>
<form id="quote-form" class="stack">
<label for="material">Material</label><select id="material" required></select>
<label for="color">Colour</label><select id="color" required></select>
<label for="quantity">Quantity</label><input id="quantity" type="number" min="1" max="10000" value="1" required>
<label for="ship-country">Ship to (country code)</label><input id="ship-country" value="US" maxlength="2" autocomplete="country" required>
<button type="submit" id="quote-button" disabled>Get the price</button></form>
<div id="quote" aria-live="polite"></div>
</section>
<section aria-labelledby="order-h">
<h2 id="order-h">4. Order</h2>
<form id="order-form" class="stack">
<label for="line1">Address</label><input id="line1" autocomplete="address-line1" required>
<label for="line2">Address line 2 (optional)</label><input id="line2" autocomplete="address-line2">
<label for="city">City</label><input id="city" autocomplete="address-level2" required>
<label for="state">State or region (optional)</label><input id="state" autocomplete="address-level1">
<label for="postal-code">Postal code</label><input id="postal-code" autocomplete="postal-code">
<label for="country">Country code</label><input id="country" value="US" maxlength="2" autocomplete="country" required>
<button type="submit" id="order-button" disabled>Review and pay</button></form>
<p id="order-status" role="status" aria-live="polite"></p>
</section>
<p class="muted"><a href="/docs">API reference</a> · agents: <code>POST /mcp</code></p>"#;

pub fn page(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let store = crate::store_origin(ctx)?;
    let origins = [store.as_str()];
    let assets = Assets {
        modules: &["/assets/app/home.js"],
        ..Assets::viewer(&origins)
    };
    Ok(page_with_assets(
        200,
        "Instant price — Farm API",
        BODY,
        &assets,
    ))
}
