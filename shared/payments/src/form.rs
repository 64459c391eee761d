//! Stripe's request encoding: `application/x-www-form-urlencoded`, nested
//! fields written with brackets (`metadata[order_id]`,
//! `line_items[0][price_data][currency]`), as Stripe documents for every
//! `POST` (<https://docs.stripe.com/api/request_ids>, "Form-encoded").

/// An ordered list of `key=value` pairs. Keys are written with Stripe's
/// bracket syntax by the caller; [`Form::encode`] percent-encodes both sides.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn new() -> Self {
        Form::default()
    }

    /// Appends `key=value` (keys may repeat; order is kept).
    pub fn field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// Appends the field only when `value` is `Some`.
    pub fn field_opt(self, key: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The body: `k=v&k=v`, each side percent-encoded by the WHATWG
    /// `application/x-www-form-urlencoded` serializer (space as `+`).
    pub fn encode(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

/// Decodes a form body into its pairs, in order (for the test servers and
/// tests that read what the provider was sent).
pub fn decode(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_brackets_spaces_and_reserved_characters() {
        let body = Form::new()
            .field("metadata[order_id]", "ord_1")
            .field(
                "line_items[0][price_data][product_data][name]",
                "Bracket & arm",
            )
            .field("success_url", "https://x.test/a?b=c")
            .encode();
        // Expected text written out by hand from the WHATWG rules: `[`→%5B,
        // `]`→%5D, space→+, `&`→%26, `:`→%3A, `/`→%2F, `?`→%3F, `=`→%3D.
        assert_eq!(
            body,
            "metadata%5Border_id%5D=ord_1\
             &line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Bracket+%26+arm\
             &success_url=https%3A%2F%2Fx.test%2Fa%3Fb%3Dc"
        );
    }

    #[test]
    fn optional_fields_are_left_out_and_decode_round_trips() {
        let form = Form::new()
            .field("customer", "cus_1")
            .field_opt("email", None::<String>)
            .field_opt("description", Some("a b"));
        assert_eq!(form.pairs().len(), 2);
        assert_eq!(
            decode(form.encode().as_bytes()),
            vec![
                ("customer".to_string(), "cus_1".to_string()),
                ("description".to_string(), "a b".to_string())
            ]
        );
    }
}
