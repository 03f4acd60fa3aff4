//! Identifier and secret generation. Nothing here is cryptographic: the lab only needs values
//! that look like AWS's, never repeat within a run (a counter mixed with the start time through
//! splitmix64), and, for IAM unique IDs, stay the same from run to run (hashed from the name).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A stream of distinct pseudo-random words, seeded from the clock so two labs running side
/// by side (parallel tests) hand out different keys.
#[derive(Debug)]
pub struct Ids {
    counter: AtomicU64,
    seed: u64,
}

impl Default for Ids {
    fn default() -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Self {
            counter: AtomicU64::new(0),
            // Truncation is fine: only the low, fast-moving bits matter for a seed.
            seed: (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32),
        }
    }
}

impl Ids {
    /// The next word of the stream.
    pub fn next_u64(&self) -> u64 {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        splitmix64(self.seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }

    /// `len` characters drawn from `alphabet`.
    pub fn chars(&self, alphabet: &[u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            let mut word = self.next_u64();
            for _ in 0..8 {
                if out.len() == len {
                    break;
                }
                out.push(char::from(alphabet[(word % alphabet.len() as u64) as usize]));
                word /= alphabet.len() as u64;
            }
        }
        out
    }

    /// An access key ID: `AKIA…` for IAM users, `ASIA…` for temporary credentials.
    pub fn access_key_id(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.chars(BASE32, 16))
    }

    /// A 40-character secret access key.
    pub fn secret_access_key(&self) -> String {
        self.chars(B64, 40)
    }

    /// A session token shaped like STS's (they all begin with the same protobuf preamble).
    pub fn session_token(&self) -> String {
        format!("IQoJb3JpZ2luX2VjE{}", self.chars(B64, 340))
    }

    /// A request ID in the UUID form AWS uses.
    pub fn request_id(&self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    /// Random-looking bytes, for garbage token files.
    pub fn bytes(&self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// An IAM unique ID (`AROA…`, `AIDA…`) derived from what it names, so that it is the same in
/// every run of a scenario, like the ID of a role that already exists in an account.
pub fn stable_unique_id(prefix: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::from(prefix);
    for i in 0..17u64 {
        let w = splitmix64(h.wrapping_add(i));
        out.push(char::from(BASE32[(w % 32) as usize]));
    }
    out
}

/// A UUID derived from what it names (a pod's UID, say), the same in every run.
pub fn stable_uuid(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let (a, b) = (splitmix64(h), splitmix64(h ^ 0x5555));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_look_like_aws_and_never_repeat() {
        let ids = Ids::default();
        let a = ids.access_key_id("ASIA");
        let b = ids.access_key_id("ASIA");
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("ASIA"));
        assert_ne!(a, b);
        assert_ne!(ids.secret_access_key(), ids.secret_access_key());
        assert_eq!(ids.request_id().len(), 36);
    }

    #[test]
    fn unique_ids_are_stable() {
        assert_eq!(stable_unique_id("AROA", "111122223333/r"), stable_unique_id("AROA", "111122223333/r"));
        assert_ne!(stable_unique_id("AROA", "a"), stable_unique_id("AROA", "b"));
        assert_eq!(stable_unique_id("AIDA", "x").len(), 21);
    }
}
