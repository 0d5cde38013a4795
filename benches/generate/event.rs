//! One transaction: who, from where, to which host, how much, and what the device did.

use crate::put::{put, put_bytes};
use crate::world::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cache {
    Miss,
    Hit,
    MemHit,
    Refresh,
    Tunnel,
    Denied,
}

/// One synthetic transaction; formats render it differently.
pub(crate) struct Ev {
    pub(crate) t_us: u64,
    pub(crate) user: usize,
    pub(crate) ip: usize,
    pub(crate) cport: u16,
    pub(crate) host: Vec<u8>,
    pub(crate) known: bool,
    pub(crate) dom: usize,
    pub(crate) dst_ip: u32,
    pub(crate) https: bool,
    pub(crate) connect: bool,
    pub(crate) method: &'static str,
    pub(crate) port: u16,
    pub(crate) path: Vec<u8>,
    pub(crate) query: Vec<u8>,
    pub(crate) ext: &'static str,
    pub(crate) mime: &'static str,
    pub(crate) status: u16,
    pub(crate) blocked: bool,
    pub(crate) auth407: bool,
    pub(crate) cache: Cache,
    pub(crate) up: u64,
    pub(crate) down: u64,
    pub(crate) elapsed_ms: u64,
    pub(crate) ua: usize,
    pub(crate) referer: bool,
}

impl Ev {
    pub(crate) fn new() -> Ev {
        Ev {
            t_us: START_SECS * 1_000_000,
            user: 0,
            ip: 0,
            cport: 0,
            host: Vec::with_capacity(128),
            known: false,
            dom: 0,
            dst_ip: 0,
            https: false,
            connect: false,
            method: "GET",
            port: 80,
            path: Vec::with_capacity(128),
            query: Vec::with_capacity(64),
            ext: "",
            mime: "-",
            status: 200,
            blocked: false,
            auth407: false,
            cache: Cache::Miss,
            up: 0,
            down: 0,
            elapsed_ms: 0,
            ua: 0,
            referer: false,
        }
    }
    #[inline(always)]
    pub(crate) fn secs(&self) -> u64 {
        self.t_us / 1_000_000
    }
    #[inline(always)]
    pub(crate) fn millis(&self) -> u64 {
        self.t_us / 1000 % 1000
    }
    /// scheme://host[:port]path?query (CONNECT: https://host/).
    pub(crate) fn put_url(&self, b: &mut Vec<u8>) {
        put(b, if self.https { "https://" } else { "http://" });
        put_bytes(b, &self.host);
        if self.connect {
            b.push(b'/');
            return;
        }
        put_bytes(b, &self.path);
        put_bytes(b, &self.query);
    }
    /// host/path?query, the form Zscaler (eurl) and PAN-OS (misc) use.
    pub(crate) fn put_url_noscheme(&self, b: &mut Vec<u8>) {
        put_bytes(b, &self.host);
        if self.connect {
            return;
        }
        put_bytes(b, &self.path);
        put_bytes(b, &self.query);
    }
}
