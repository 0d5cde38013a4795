//! cloudcensus — batch cloud discovery (shadow IT) and activity policies over firewall, proxy
//! and SaaS logs.
pub mod formats;
