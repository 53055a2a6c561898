//! Rules of the KMS client that are not about signing: which endpoints it may talk to, and what an
//! expiry time must look like. The JavaScript `KmsClient` asks these before it sends anything.

use core::net::{IpAddr, Ipv6Addr};

use crate::error::{Error, Result};

/// Checks that the client may send requests to an endpoint with this URL `scheme` (`https` or
/// `http`, with or without the trailing `:`) and `host` (a name, an IPv4 address, or an IPv6
/// address with or without brackets).
///
/// `https` is always allowed. Plain `http` only to this machine — `localhost`, `127.0.0.0/8`,
/// `::1` — unless `allow_insecure_http`: on any other network path an attacker could replace the
/// wrapping public key in the `GetParametersForImport` reply and learn the material wrapped
/// under it.
pub fn check_endpoint(scheme: &str, host: &str, allow_insecure_http: bool) -> Result<()> {
    match scheme.trim_end_matches(':').to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(host) => Ok(()),
        "http" => Err(Error::InsecureEndpoint(format!(
            "http://{}",
            crate::error::echoed(host)
        ))),
        other => Err(Error::InvalidArgument(format!(
            "the endpoint must be an http or https URL, not {}:",
            crate::error::echoed(other)
        ))),
    }
}

/// Whether `host` is this machine by name or address.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6 == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

/// Expiry times at or above this many seconds (the year 5138) can only be milliseconds.
const MILLISECONDS_FROM: f64 = 1e11;

/// Checks an expiry given as Unix time in seconds (`0` for never) and returns it as an integer.
///
/// Refuses fractions, negative values, and values that can only be milliseconds (what
/// `Date.now()` returns): those would otherwise set an expiry thousands of years away, which
/// looks like "never expires".
pub fn expiry_unix_seconds(value: f64) -> Result<u64> {
    if !value.is_finite() || value < 0.0 || value.fract() != 0.0 {
        return Err(Error::InvalidArgument(
            "the expiry must be a Date, or Unix time in whole seconds (0 for never)".into(),
        ));
    }
    if value >= MILLISECONDS_FROM {
        // Not `{value}`: formatting an f64 would cost the wasm module 14 KB.
        return Err(Error::InvalidArgument(
            "the expiry is in milliseconds (Date.now() gives milliseconds): divide by 1000, or \
             pass a Date"
                .into(),
        ));
    }
    // In range and whole (checked above), so the conversion is exact.
    Ok(value as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_always_plain_http_only_to_this_machine() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "[::1]",
            "::1",
        ] {
            assert_eq!(check_endpoint("http:", host, false), Ok(()), "{host}");
        }
        for host in [
            "kms.example.com",
            "10.0.0.1",
            "[::2]",
            "localhost.evil.com",
            "128.0.0.1",
        ] {
            let err = check_endpoint("http:", host, false).unwrap_err();
            assert_eq!(err.code(), "InsecureEndpoint", "{host}");
            assert!(err.to_string().contains("allowInsecureHttp"), "{err}");
            assert_eq!(check_endpoint("http:", host, true), Ok(()), "{host}");
            assert_eq!(check_endpoint("https:", host, false), Ok(()), "{host}");
        }
        assert_eq!(
            check_endpoint("ftp:", "localhost", true)
                .unwrap_err()
                .code(),
            "InvalidArgument"
        );
    }

    #[test]
    fn milliseconds_and_fractions_are_refused() {
        assert_eq!(expiry_unix_seconds(0.0), Ok(0));
        assert_eq!(expiry_unix_seconds(1_800_000_000.0), Ok(1_800_000_000));
        let err = expiry_unix_seconds(1_800_000_000_000.0).unwrap_err();
        assert!(err.to_string().contains("milliseconds"), "{err}");
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(
                expiry_unix_seconds(bad).unwrap_err().code(),
                "InvalidArgument"
            );
        }
    }
}
