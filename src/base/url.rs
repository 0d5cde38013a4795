//! URLs as proxies log them: the host (and port) a URL names.

/// Host and port of a URL as proxies log it: `http://user@Host:8080/path`, `host:443`
/// (CONNECT), `host/path` (no scheme), `[2001:db8::1]:443`. Returns `None` when there is no
/// plausible host (e.g. `error:invalid-request`, `/relative/path`).
///
/// Byte scans with `memchr`: this runs once per proxy record.
pub fn url_host(url: &str) -> Option<(&str, Option<u16>)> {
    let b = url.as_bytes();
    // The first `://`, wherever it is.
    let scheme_end = memchr::memchr_iter(b':', b).find(|&i| b[i + 1..].starts_with(b"//"));
    let has_scheme = scheme_end.is_some();
    let rest = match scheme_end {
        Some(p) => &url[p + 3..],
        None => {
            if url.starts_with('/') || memchr::memchr(b' ', b).is_some() {
                return None;
            }
            url
        }
    };
    let end = memchr::memchr3(b'/', b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = match memchr::memrchr(b'@', authority.as_bytes()) {
        Some(p) => &authority[p + 1..],
        None => authority,
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = v6.find(']')?;
        let port = v6[close + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
        (&v6[..close], port)
    } else {
        match memchr::memrchr(b':', authority.as_bytes()) {
            Some(p) if authority[p + 1..].bytes().all(|c| c.is_ascii_digit()) => {
                (&authority[..p], authority[p + 1..].parse().ok())
            }
            Some(_) if authority.matches(':').count() > 1 => (authority, None), // bare IPv6
            Some(_) => return None,                                             // `error:xyz`
            None => (authority, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':'))
    {
        return None;
    }
    // A bare word with no dot and no scheme is not a host we can attribute ("ahmet").
    if !has_scheme && !host.contains('.') && !host.contains(':') && port.is_none() {
        return None;
    }
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("http://www.Example.com/a?b"), Some(("www.Example.com", None)));
        assert_eq!(
            url_host("https://u:p@h.example.org:8443/x"),
            Some(("h.example.org", Some(8443)))
        );
        assert_eq!(url_host("login.yahoo.com:443"), Some(("login.yahoo.com", Some(443))));
        assert_eq!(url_host("www.example.com/join/"), Some(("www.example.com", None)));
        assert_eq!(url_host("[2001:db8::1]:443"), Some(("2001:db8::1", Some(443))));
        assert_eq!(url_host("http://[2001:db8::1]/x"), Some(("2001:db8::1", None)));
        assert_eq!(url_host("ahmet"), None);
        assert_eq!(url_host("error:invalid-request"), None);
        assert_eq!(url_host("/index.html"), None);
    }
}
