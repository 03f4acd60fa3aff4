//! Untrusted input never panics: random and mutated bytes fed to every parser that reads
//! something from outside (tokens, ARNs, configuration, agent replies). A fixed seed keeps the
//! run repeatable; the cases include mutations of valid inputs, which reach deeper than noise.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use connector_doctor::checks::identity::agent;
use connector_doctor::config::{Arn, Config};
use connector_doctor::http::Reply;
use connector_doctor::jwt;
use connector_doctor::secret::Redactor;

/// A small deterministic generator (xorshift64*), so no dependency is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `seed` with a few bytes replaced, inserted or removed, or pure noise.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        const ALPHABET: &[u8] = b"\0 \n\t.:/-_=[]{}\"'\\aZ09\xc3\xa9\xff{}#";
        let mut v = seed.to_vec();
        if self.below(8) == 0 {
            return (0..self.below(64)).map(|_| (self.next() & 0xff) as u8).collect();
        }
        for _ in 0..=self.below(4) {
            let byte = if self.below(2) == 0 {
                ALPHABET[self.below(ALPHABET.len())]
            } else {
                (self.next() & 0xff) as u8
            };
            match self.below(3) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] = byte;
                }
                1 => {
                    let i = self.below(v.len() + 1);
                    v.insert(i, byte);
                }
                _ if !v.is_empty() => {
                    let i = self.below(v.len());
                    v.remove(i);
                }
                _ => v.push(byte),
            }
        }
        v
    }
}

const ROUNDS: usize = 4000;

#[test]
fn parsers_survive_garbage() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let token =
        "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsicG9kcy5la3MuYW1hem9uYXdzLmNvbSJdLCJleHAiOjE4MDAwMDAwMDB9.c2ln";
    let arn = "arn:aws:iam::111122223333:role/xpander-base-role";
    let config = "region = \"us-west-1\"\nbase_role_arn = \"arn:aws:iam::111122223333:role/b\"\n[[connector]]\nname = \"w\"\nkind = \"rds\"\nrole_arn = \"arn:aws:iam::111122223333:role/r\"\ninstance_id = \"db\"\nuser = \"u\"\nexternal_id = \"abc-123\"\n";
    let document = r#"{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"tok","Expiration":"2026-11-21T12:00:00Z","AccountId":"111122223333"}"#;
    for _ in 0..ROUNDS {
        let t = String::from_utf8_lossy(&rng.mutate(token.as_bytes())).into_owned();
        let _ = jwt::decode(&t);
        let a = String::from_utf8_lossy(&rng.mutate(arn.as_bytes())).into_owned();
        let _ = Arn::role(&a);
        let c = String::from_utf8_lossy(&rng.mutate(config.as_bytes())).into_owned();
        if let Err(e) = Config::from_toml(Path::new("fuzz.toml"), &c) {
            assert!(e.location.starts_with("fuzz.toml"), "{e}");
        }
        let body = Bytes::from(rng.mutate(document.as_bytes()));
        let status = [200, 400, 403, 500, 502, 0, 999][rng.below(7)];
        let reply = Reply { status, body, took: Duration::ZERO };
        let (outcome, _) = agent::judge("http://127.0.0.1:1/v1/credentials", Ok(reply), &Redactor::default());
        assert!(!outcome.summary.is_empty());
    }
}
