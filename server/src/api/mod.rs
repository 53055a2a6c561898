//! The front doors: one per cloud API, each a sibling folder over the same core. A front door
//! turns a wire request into one [`crate::kms::Kms`] call and its result into the wire's reply;
//! it decides nothing a rule would decide.
//!
//! - [`alibaba`]: Alibaba Cloud KMS API 2016-01-20 (RPC style; ACS3-HMAC-SHA256 and RPC v1
//!   signatures).
//! - [`aws`]: AWS KMS 2014-11-01 (JSON 1.1, `X-Amz-Target`; Signature Version 4).
//!
//! The HTTP layer (`crate::http`) hands a door an [`ApiRequest`] and sends back its
//! [`ApiResponse`].

pub mod alibaba;
pub mod aws;

/// An HTTP request, as a front door needs it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// Headers with lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// All values of a header, by lower-case name.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The headers a signature's `SignedHeaders` list (`;`-separated) names, each value with
    /// its lower-case name, sorted by name, as both doors' canonicalisers take them. The list
    /// must name every header of `always`, and every header of `if_present` the request has;
    /// each header it names must be in the request. `Err`: what is missing, in words (a door's
    /// IncompleteSignature).
    pub fn signed_headers(
        &self,
        signed: &str,
        always: &[&str],
        if_present: &[&str],
    ) -> Result<Vec<(String, &str)>, std::borrow::Cow<'static, str>> {
        let mut names: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
        names.sort();
        names.dedup();
        if let Some(required) = always.iter().find(|r| !names.iter().any(|n| n == *r)) {
            return Err(format!("SignedHeaders must include {required}").into());
        }
        if let Some(name) = if_present
            .iter()
            .find(|h| self.header(h).is_some() && !names.iter().any(|n| n == *h))
        {
            return Err(format!(
                "the request has a {name} header, so SignedHeaders must include it"
            )
            .into());
        }
        let mut headers = Vec::new();
        for name in names {
            let values = self.header_values(&name);
            if values.is_empty() {
                return Err(format!("the signed header {name} is not in the request").into());
            }
            headers.extend(values.into_iter().map(|v| (name.clone(), v)));
        }
        Ok(headers)
    }
}

/// A reply: HTTP status, headers and body, plus what the log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type`.
    pub content_type: &'static str,
    /// Headers the door adds (the request id).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
    /// The error code, for the log; `None` on success.
    pub code: Option<&'static str>,
    /// The action, for the log, when it was known.
    pub action: Option<String>,
}

impl ApiResponse {
    /// A JSON reply carrying `request_id` in the header `request_id_header`.
    pub fn json(
        status: u16,
        body: String,
        request_id_header: &'static str,
        request_id: &str,
        action: Option<String>,
    ) -> Self {
        Self {
            status,
            content_type: "application/json",
            headers: vec![(request_id_header, request_id.to_owned())],
            body,
            code: None,
            action,
        }
    }
}
