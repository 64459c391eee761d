//! Spin's runtime-config `[outbound_networking] block_networks`: outbound
//! HTTP and sockets to a blocked address are refused after the name is
//! resolved (`destination-ip-prohibited`), so a DNS answer that is or
//! becomes private cannot reach the private network. Entries are CIDRs or
//! the keyword `private` (every address that is not globally routable).
//!
//! [`NameTable`] is the host's name resolution override (like curl's
//! `--resolve`): empty in normal runs, where names go to the system
//! resolver; a test that needs a name whose answer it controls (and changes)
//! fills it. No component can see or rely on it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};

/// The blocked networks of the app (empty: nothing blocked).
#[derive(Debug, Clone, Default)]
pub struct BlockedNetworks {
    cidrs: Vec<(IpAddr, u8)>,
    private: bool,
}

impl BlockedNetworks {
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let mut out = Self::default();
        for entry in entries {
            if entry == "private" {
                out.private = true;
                continue;
            }
            let (ip, len) = entry.split_once('/').unwrap_or((entry, ""));
            let ip: IpAddr = ip.parse().with_context(|| {
                format!("block_networks entry `{entry}` is not a CIDR or `private`")
            })?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = if len.is_empty() {
                max
            } else {
                len.parse().unwrap_or(u8::MAX)
            };
            if len > max {
                bail!("block_networks entry `{entry}` has a prefix longer than {max}");
            }
            out.cidrs.push((ip, len));
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        !self.private && self.cidrs.is_empty()
    }

    /// Whether `ip` (or the IPv4 address an IPv4-mapped IPv6 one stands
    /// for) is blocked.
    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        (self.private && !farm_webhooks::target::is_global(ip))
            || self
                .cidrs
                .iter()
                .any(|(net, len)| in_network(ip, *net, *len))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Names the host resolves itself, before the system resolver.
#[derive(Debug, Clone, Default)]
pub struct NameTable(Arc<RwLock<HashMap<String, Vec<IpAddr>>>>);

impl NameTable {
    /// Makes `name` resolve to `addrs` from now on (an empty list removes it).
    pub fn set(&self, name: &str, addrs: &[IpAddr]) {
        let mut table = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if addrs.is_empty() {
            table.remove(&name.to_ascii_lowercase());
        } else {
            table.insert(name.to_ascii_lowercase(), addrs.to_vec());
        }
    }

    pub fn get(&self, name: &str) -> Option<Vec<IpAddr>> {
        let table = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        table.get(&name.to_ascii_lowercase()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn private_blocks_every_non_global_address_and_cidrs_their_range() {
        let b =
            BlockedNetworks::parse(&["private".into(), "203.0.113.0/24".into()]).expect("parse");
        for blocked in [
            "127.0.0.1",
            "10.1.1.1",
            "169.254.169.254",
            "::1",
            "::ffff:192.168.0.1",
            "fd00::1",
        ] {
            assert!(b.is_blocked(ip(blocked)), "{blocked}");
        }
        assert!(!b.is_blocked(ip("93.184.215.14")));
        let only = BlockedNetworks::parse(&["93.184.0.0/16".into()]).expect("parse");
        assert!(only.is_blocked(ip("93.184.215.14")));
        assert!(!only.is_blocked(ip("127.0.0.1")));
        assert!(BlockedNetworks::parse(&["nonsense".into()]).is_err());
        assert!(BlockedNetworks::default().is_empty());
    }
}
