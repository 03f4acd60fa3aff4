//! The pod's side of the world: the files EKS would mount into it (projected token, shared
//! config) and the environment the webhooks would inject, laid out under the lab's temp dir
//! at the same paths they have in a real pod.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::clock;
use crate::scenario::{Source, TokenFile};
use crate::token;
use crate::world::World;

/// Where the endpoints are, as the pod should be told.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `AWS_ENDPOINT_URL`.
    pub aws: String,
    /// The agent's full credentials URI.
    pub agent: String,
    /// IMDS base URL, when IMDS is served.
    pub imds: Option<String>,
    /// Where the RDS endpoints really are, when the scenario has any.
    pub rds: Option<RdsRoutes>,
    /// `--connect-to` rules for the Redshift clusters' and workgroups' database ports.
    pub warehouses: Vec<String>,
}

/// How the pod finds the lab's RDS endpoints: their CA bundle, and a `--connect-to` style map
/// from each endpoint name (address or alias) and API port to the loopback listener.
#[derive(Debug, Clone)]
pub struct RdsRoutes {
    /// `PGSSLROOTCERT`: the lab's RDS CA bundle.
    pub ca_file: String,
    /// `CONNECTOR_DOCTOR_CONNECT_TO`: `<name>:<port>:127.0.0.1:<real port>,…`.
    pub connect_to: String,
}

/// The file, in the lab's temp dir, that holds the scenario's `doctor_config`.
pub const DOCTOR_CONFIG_FILE: &str = "connector-doctor.toml";

/// Writes the pod's files into `root` and returns the pod's environment, sorted by name.
pub fn prepare(world: &World, root: &Path, urls: &Urls) -> io::Result<Vec<(String, String)>> {
    let scenario = &world.scenario;
    let pod = &scenario.pod;
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    // Kubernetes sets HOSTNAME to the pod's name.
    set("HOSTNAME", pod.name.clone());
    set("AWS_REGION", scenario.region.clone());
    set("AWS_DEFAULT_REGION", scenario.region.clone());
    set("AWS_ENDPOINT_URL", urls.aws.clone());
    if let Some(ip) = &pod.ip {
        set("POD_IP", ip.clone());
    }
    let aws_dir = root.join("home/.aws");
    set("AWS_CONFIG_FILE", path_string(&aws_dir.join("config")));
    set("AWS_SHARED_CREDENTIALS_FILE", path_string(&aws_dir.join("credentials")));
    match &urls.imds {
        Some(url) => set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.clone()),
        None => set("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    }
    match pod.source {
        Source::PodIdentity => {
            let file =
                root.join("var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token");
            write_token(world, &file)?;
            set("AWS_CONTAINER_CREDENTIALS_FULL_URI", urls.agent.clone());
            set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_string(&file));
            set("AWS_STS_REGIONAL_ENDPOINTS", "regional".to_owned());
        }
        Source::Irsa => {
            let file = root.join("var/run/secrets/eks.amazonaws.com/serviceaccount/token");
            write_token(world, &file)?;
            set("AWS_ROLE_ARN", scenario.role_arn());
            set("AWS_WEB_IDENTITY_TOKEN_FILE", path_string(&file));
            set("AWS_STS_REGIONAL_ENDPOINTS", "regional".to_owned());
        }
        Source::Profile => {
            let (id, secret) = world.user_key(0).unwrap_or_default();
            fs::create_dir_all(&aws_dir)?;
            fs::write(aws_dir.join("config"), format!("[profile lab]\nregion = {}\n", scenario.region))?;
            fs::write(
                aws_dir.join("credentials"),
                format!("[lab]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
            )?;
            set("AWS_PROFILE", "lab".to_owned());
        }
        Source::Static | Source::None => {}
    }
    if pod.static_keys || pod.source == Source::Static {
        let (id, secret) = world.user_key(0).unwrap_or_default();
        set("AWS_ACCESS_KEY_ID", id);
        set("AWS_SECRET_ACCESS_KEY", secret);
    }
    let mut connect_to = urls.warehouses.clone();
    if let Some(rds) = &urls.rds {
        set("PGSSLROOTCERT", rds.ca_file.clone());
        connect_to.insert(0, rds.connect_to.clone());
    }
    if !connect_to.is_empty() {
        set("CONNECTOR_DOCTOR_CONNECT_TO", connect_to.join(","));
    }
    // The doctor's own configuration, mounted the way a ConfigMap would be.
    if let Some(config) = &scenario.doctor_config {
        let file = root.join(DOCTOR_CONFIG_FILE);
        fs::write(&file, config)?;
        set("CONNECTOR_DOCTOR_CONFIG", path_string(&file));
    }
    for (name, value) in &pod.extra_env {
        if value.is_empty() {
            env.remove(name);
        } else {
            env.insert(name.clone(), value.clone());
        }
    }
    Ok(env.into_iter().collect())
}

/// Writes the projected token the way the scenario wants it (or fails to, on purpose).
fn write_token(world: &World, file: &Path) -> io::Result<()> {
    let scenario = &world.scenario;
    let spec = &scenario.pod.token;
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir)?;
    }
    match spec.file {
        TokenFile::Missing => Ok(()),
        TokenFile::Directory => fs::create_dir_all(file),
        TokenFile::Garbage => {
            let mut bytes = world.ids.bytes(spec.garbage_bytes);
            // Never three dot-separated segments, never valid UTF-8.
            for b in &mut bytes {
                if *b == b'.' {
                    *b = 0xff;
                }
            }
            if let Some(first) = bytes.first_mut() {
                *first = 0xff;
            }
            write_with_mode(file, &bytes, 0o644)
        }
        TokenFile::Ok | TokenFile::Unreadable => {
            let issuer = scenario.issuer();
            let audience = scenario.audience();
            let jwt = token::make(
                &token::Spec {
                    issuer: &issuer,
                    audience: &audience,
                    namespace: &scenario.pod.namespace,
                    service_account: &scenario.pod.service_account,
                    pod: &scenario.pod.name,
                    expires_in: spec.expires_in_seconds,
                    now: clock::now(),
                },
                &world.ids,
            );
            let content = format!("{}{jwt}{}", spec.prefix, spec.suffix);
            let mode = if spec.file == TokenFile::Ok { 0o644 } else { 0o000 };
            write_with_mode(file, content.as_bytes(), mode)
        }
    }
}

fn write_with_mode(file: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    fs::write(file, bytes)?;
    fs::set_permissions(file, fs::Permissions::from_mode(mode))
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn env_of(text: &str, root: &Path) -> BTreeMap<String, String> {
        let world = World::new(Scenario::from_toml_str(text).unwrap());
        let urls = Urls {
            aws: "http://127.0.0.1:1".to_owned(),
            agent: "http://127.0.0.1:2/v1/credentials".to_owned(),
            imds: None,
            rds: None,
            warehouses: Vec::new(),
        };
        prepare(&world, root, &urls).unwrap().into_iter().collect()
    }

    #[test]
    fn the_doctor_config_is_mounted_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = "region = \"us-west-1\"\n\n[[connector]]\nname = \"warehouse\"\n";
        let env = env_of(&format!("doctor_config = '''\n{config}'''\n"), dir.path());
        let file = dir.path().join(DOCTOR_CONFIG_FILE);
        assert_eq!(env.get("CONNECTOR_DOCTOR_CONFIG"), Some(&path_string(&file)));
        assert_eq!(fs::read_to_string(&file).unwrap(), config);
    }

    #[test]
    fn without_a_doctor_config_nothing_is_mounted_and_extra_env_still_wins() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of("", dir.path());
        assert!(!env.contains_key("CONNECTOR_DOCTOR_CONFIG"));
        assert!(!dir.path().join(DOCTOR_CONFIG_FILE).exists());
        let text =
            "doctor_config = 'region = \"us-west-1\"'\n[pod.extra_env]\nCONNECTOR_DOCTOR_CONFIG = \"\"\n";
        let env = env_of(text, dir.path());
        assert!(!env.contains_key("CONNECTOR_DOCTOR_CONFIG"), "an empty extra_env value removes it");
        assert!(dir.path().join(DOCTOR_CONFIG_FILE).exists());
    }
}
