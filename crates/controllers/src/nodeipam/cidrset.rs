//! CIDRs and the set of node ranges carved out of the cluster CIDR, as
//! upstream's `nodeipam/ipam/cidrset`: the cluster CIDR is cut into
//! 2^(mask - prefix) ranges of the node mask size, a bitmap says which are
//! used, and the next allocation starts after the last one handed out
//! (wrapping around), so a just-released range is not reused at once while
//! others are free.
//!
//! Pure and without I/O, so that the controller's bookkeeping is unit-tested.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 or IPv6 network: its address with the host bits cleared, and the
/// prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    ip: IpAddr,
    prefix: u8,
}

/// Why a CIDR did not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CidrError {
    #[error("invalid CIDR address: {0:?} (expected ADDRESS/PREFIX, e.g. 10.42.0.0/16)")]
    Syntax(String),
    #[error("invalid CIDR address: {0:?}: the prefix length is larger than the address")]
    Prefix(String),
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// `ADDRESS/PREFIX`; host bits are cleared (as Go's `net.ParseCIDR`).
    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let syntax = || CidrError::Syntax(text.to_string());
        let (ip, prefix) = text.trim().split_once('/').ok_or_else(syntax)?;
        let ip: IpAddr = ip.parse().map_err(|_| syntax())?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let prefix: u8 = prefix.parse().map_err(|_| syntax())?;
        let bits = width(&ip);
        if prefix > bits {
            return Err(CidrError::Prefix(text.to_string()));
        }
        let base = to_u128(ip) & mask(prefix, bits);
        Ok(Cidr {
            ip: from_u128(base, ip.is_ipv6()),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

impl Cidr {
    /// The network address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// 32 or 128.
    pub fn bits(&self) -> u8 {
        width(&self.ip)
    }

    fn base(&self) -> u128 {
        to_u128(self.ip)
    }

    /// The last address of the network.
    fn last(&self) -> u128 {
        self.base() | (!mask(self.prefix, self.bits()) & full(self.bits()))
    }

    fn contains(&self, address: u128) -> bool {
        address & mask(self.prefix, self.bits()) == self.base()
    }

    /// Whether the two networks share an address (one holds the other).
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.bits() == other.bits() && (self.contains(other.base()) || other.contains(self.base()))
    }
}

fn width(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn full(bits: u8) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// The network mask of `prefix` bits in an address of `bits` bits.
fn mask(prefix: u8, bits: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        (u128::MAX << (bits - prefix)) & full(bits)
    }
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(value: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(value))
    } else {
        // Only ever called with IPv4 values (at most 32 bits).
        IpAddr::V4(Ipv4Addr::from(value as u32))
    }
}

/// The node ranges of one cluster CIDR and which of them are used.
#[derive(Clone, Debug)]
pub struct CidrSet {
    cluster: Cidr,
    node_mask: u8,
    count: u64,
    used: Vec<u64>,
    next_candidate: u64,
}

/// A CIDR that is not inside the cluster CIDR at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{cidr} is out of the range of cluster CIDR {cluster}")]
pub struct OutOfRange {
    pub cidr: Cidr,
    pub cluster: Cidr,
}

impl CidrSet {
    /// The ranges of `node_mask` bits in `cluster`; the caller has checked
    /// that `node_mask` is between the cluster's prefix and the address size
    /// and that the count fits in memory (see `Config::new`).
    pub fn new(cluster: Cidr, node_mask: u8) -> CidrSet {
        let diff = u32::from(node_mask.saturating_sub(cluster.prefix));
        let count = 1u64.checked_shl(diff).unwrap_or(u64::MAX);
        let words = usize::try_from(count.div_ceil(64)).unwrap_or(usize::MAX);
        CidrSet {
            cluster,
            node_mask,
            count,
            used: vec![0; words],
            next_candidate: 0,
        }
    }

    /// How many node ranges there are.
    pub fn capacity(&self) -> u64 {
        self.count
    }

    /// How many node ranges are used.
    pub fn used(&self) -> u64 {
        self.used.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    fn is_used(&self, index: u64) -> bool {
        self.used
            .get((index / 64) as usize)
            .is_some_and(|w| w & (1 << (index % 64)) != 0)
    }

    fn set(&mut self, index: u64, value: bool) {
        if let Some(word) = self.used.get_mut((index / 64) as usize) {
            if value {
                *word |= 1 << (index % 64);
            } else {
                *word &= !(1 << (index % 64));
            }
        }
    }

    /// The node range at `index`.
    fn range(&self, index: u64) -> Cidr {
        let bits = self.cluster.bits();
        let offset = u128::from(index) << (bits - self.node_mask);
        Cidr {
            ip: from_u128(self.cluster.base() | offset, bits == 128),
            prefix: self.node_mask,
        }
    }

    /// The index of the node range holding `address` (inside the cluster).
    fn index_of(&self, address: u128) -> u64 {
        let bits = self.cluster.bits();
        ((address - self.cluster.base()) >> (bits - self.node_mask)) as u64
    }

    /// The first and last index of the node ranges `cidr` covers: all of
    /// them when it holds the cluster CIDR, the one holding it when it is
    /// smaller than a node range.
    fn indices(&self, cidr: &Cidr) -> Result<(u64, u64), OutOfRange> {
        if !self.cluster.overlaps(cidr) {
            return Err(OutOfRange {
                cidr: *cidr,
                cluster: self.cluster,
            });
        }
        if cidr.prefix <= self.cluster.prefix {
            return Ok((0, self.count - 1));
        }
        Ok((self.index_of(cidr.base()), self.index_of(cidr.last())))
    }

    /// Takes the next free range after the last one taken, wrapping around;
    /// None when every range is used.
    pub fn allocate_next(&mut self) -> Option<Cidr> {
        let mut candidate = self.next_candidate % self.count;
        for _ in 0..self.count {
            if !self.is_used(candidate) {
                self.set(candidate, true);
                self.next_candidate = (candidate + 1) % self.count;
                return Some(self.range(candidate));
            }
            candidate = (candidate + 1) % self.count;
        }
        None
    }

    /// Marks every node range `cidr` overlaps as used.
    pub fn occupy(&mut self, cidr: &Cidr) -> Result<(), OutOfRange> {
        let (begin, end) = self.indices(cidr)?;
        for index in begin..=end {
            self.set(index, true);
        }
        Ok(())
    }

    /// Marks every node range `cidr` overlaps as free.
    pub fn release(&mut self, cidr: &Cidr) -> Result<(), OutOfRange> {
        let (begin, end) = self.indices(cidr)?;
        for index in begin..=end {
            self.set(index, false);
        }
        Ok(())
    }

    /// Whether every node range `cidr` overlaps is used (false outside).
    pub fn is_occupied(&self, cidr: &Cidr) -> bool {
        self.indices(cidr)
            .is_ok_and(|(begin, end)| (begin..=end).all(|i| self.is_used(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    #[test]
    fn parsing_clears_host_bits_and_rejects_garbage() {
        assert_eq!(cidr("10.42.7.9/16").to_string(), "10.42.0.0/16");
        assert_eq!(cidr("fd00::1/48").to_string(), "fd00::/48");
        assert_eq!(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
        for bad in [
            "10.42.0.0",
            "10.42.0.0/",
            "10.42.0/16",
            "x/8",
            "10.0.0.0/+8",
            "",
        ] {
            assert!(
                matches!(bad.parse::<Cidr>(), Err(CidrError::Syntax(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(CidrError::Prefix(_))
        ));
    }

    #[test]
    fn allocates_in_order_then_runs_out() {
        let mut set = CidrSet::new(cidr("10.42.0.0/22"), 24);
        assert_eq!(set.capacity(), 4);
        let got: Vec<String> = std::iter::from_fn(|| set.allocate_next())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "10.42.0.0/24",
                "10.42.1.0/24",
                "10.42.2.0/24",
                "10.42.3.0/24"
            ]
        );
        assert_eq!(set.allocate_next(), None);
        assert_eq!(set.used(), 4);
    }

    #[test]
    fn released_ranges_come_back_after_the_others() {
        let mut set = CidrSet::new(cidr("10.42.0.0/22"), 24);
        let first = set.allocate_next().unwrap();
        set.release(&first).unwrap();
        // The next candidate is after the last one handed out.
        assert_eq!(set.allocate_next(), Some(cidr("10.42.1.0/24")));
        assert_eq!(set.allocate_next(), Some(cidr("10.42.2.0/24")));
        assert_eq!(set.allocate_next(), Some(cidr("10.42.3.0/24")));
        // Wrapped around to the released one.
        assert_eq!(set.allocate_next(), Some(first));
        assert_eq!(set.allocate_next(), None);
    }

    #[test]
    fn occupied_ranges_are_skipped() {
        let mut set = CidrSet::new(cidr("10.42.0.0/16"), 24);
        set.occupy(&cidr("10.42.0.0/24")).unwrap();
        set.occupy(&cidr("10.42.2.0/24")).unwrap();
        assert_eq!(set.allocate_next(), Some(cidr("10.42.1.0/24")));
        assert_eq!(set.allocate_next(), Some(cidr("10.42.3.0/24")));
        assert!(set.is_occupied(&cidr("10.42.2.0/24")));
        assert!(!set.is_occupied(&cidr("10.42.4.0/24")));
    }

    #[test]
    fn larger_and_smaller_cidrs_cover_their_ranges() {
        let mut set = CidrSet::new(cidr("10.42.0.0/16"), 24);
        // A /23 covers two node ranges, a /28 the one holding it.
        set.occupy(&cidr("10.42.4.0/23")).unwrap();
        set.occupy(&cidr("10.42.9.16/28")).unwrap();
        assert_eq!(set.used(), 3);
        assert!(set.is_occupied(&cidr("10.42.5.0/24")));
        assert!(set.is_occupied(&cidr("10.42.9.0/24")));
        // A CIDR holding the whole cluster CIDR covers every range.
        let mut all = CidrSet::new(cidr("10.42.0.0/22"), 24);
        all.occupy(&cidr("10.0.0.0/8")).unwrap();
        assert_eq!(all.allocate_next(), None);
        all.release(&cidr("10.42.2.0/24")).unwrap();
        assert_eq!(all.allocate_next(), Some(cidr("10.42.2.0/24")));
    }

    #[test]
    fn cidrs_outside_the_cluster_are_refused() {
        let mut set = CidrSet::new(cidr("10.42.0.0/16"), 24);
        let err = set.occupy(&cidr("10.244.1.0/24")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "10.244.1.0/24 is out of the range of cluster CIDR 10.42.0.0/16"
        );
        assert!(set.occupy(&cidr("fd00::/64")).is_err());
        assert_eq!(set.used(), 0);
    }

    #[test]
    fn ipv6_ranges() {
        let mut set = CidrSet::new(cidr("fd00:42::/56"), 64);
        assert_eq!(set.capacity(), 256);
        assert_eq!(set.allocate_next(), Some(cidr("fd00:42::/64")));
        assert_eq!(set.allocate_next(), Some(cidr("fd00:42:0:1::/64")));
        set.occupy(&cidr("fd00:42:0:2::/64")).unwrap();
        assert_eq!(set.allocate_next(), Some(cidr("fd00:42:0:3::/64")));
    }

    #[test]
    fn single_address_ranges() {
        let mut set = CidrSet::new(cidr("10.0.0.0/31"), 32);
        assert_eq!(set.allocate_next(), Some(cidr("10.0.0.0/32")));
        assert_eq!(set.allocate_next(), Some(cidr("10.0.0.1/32")));
        assert_eq!(set.allocate_next(), None);
    }
}
