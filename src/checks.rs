//! The checks, one module per link of the chain. Each check has an I/O part that probes the
//! world and a pure judge that turns what it saw into an [`Outcome`](crate::outcome::Outcome);
//! the judges are tested on tables of real AWS answers.

pub mod chain;
pub mod identity;
pub mod net;
pub mod rds;
pub mod redshift;

use std::sync::Arc;

use crate::engine::Check;
use crate::outcome::Code;

/// The code of check `id` (for `connector`), if this build implements it.
pub fn factory(id: &'static str, connector: Option<&str>) -> Option<Arc<dyn Check>> {
    let name = || connector.unwrap_or_default().to_owned();
    Some(match id {
        "chain.assume" => Arc::new(chain::assume::AssumeCheck { connector: name() }),
        "chain.tag_session" => Arc::new(chain::tag_session::TagSessionCheck { connector: name() }),
        "chain.self_assume" => Arc::new(chain::self_assume::SelfAssumeCheck { connector: name() }),
        "chain.external_id" => Arc::new(chain::external_id::ExternalIdCheck { connector: name() }),
        "chain.policies" => Arc::new(chain::policies::PoliciesCheck { connector: name() }),
        "rds.instance" => Arc::new(rds::instance::InstanceCheck { connector: name() }),
        "rds.token" => Arc::new(rds::token::TokenCheck { connector: name() }),
        "rds.connect" => Arc::new(rds::connect::ConnectCheck { connector: name() }),
        "rds.grant" => Arc::new(rds::grant::GrantCheck { connector: name() }),
        "redshift.cluster" => Arc::new(redshift::cluster::ClusterCheck { connector: name() }),
        "redshift.credentials" => Arc::new(redshift::credentials::CredentialsCheck { connector: name() }),
        "redshift.query" => Arc::new(redshift::query::QueryCheck { connector: name() }),
        "redshift.grants" => Arc::new(redshift::grants::GrantsCheck { connector: name() }),
        "redshift.catalog" => Arc::new(redshift::catalog::CatalogCheck { connector: name() }),
        "net.dns" => Arc::new(net::dns::DnsCheck { connector: name() }),
        "net.tcp" => Arc::new(net::tcp::TcpCheck { connector: name() }),
        "net.tls" => Arc::new(net::tls::TlsCheck { connector: name() }),
        "net.security_groups" => Arc::new(net::security_groups::SecurityGroupsCheck { connector: name() }),
        "identity.source" => Arc::new(identity::source::SourceCheck),
        "identity.token" => Arc::new(identity::token::TokenCheck),
        "identity.agent" => Arc::new(identity::agent::AgentCheck),
        "identity.web_identity" => Arc::new(identity::web_identity::WebIdentityCheck),
        "identity.caller" => Arc::new(identity::caller::CallerCheck),
        _ => return None,
    })
}

/// Every code check `id` can emit, for the catalog's drift test.
pub fn codes_of(id: &str) -> &'static [Code] {
    match id {
        "identity.source" => identity::source::CODES,
        "identity.token" => identity::token::CODES,
        "identity.agent" => identity::agent::CODES,
        "identity.web_identity" => identity::web_identity::CODES,
        "identity.caller" => identity::caller::CODES,
        "chain.assume" => chain::assume::CODES,
        "chain.tag_session" => chain::tag_session::CODES,
        "chain.self_assume" => chain::self_assume::CODES,
        "chain.external_id" => chain::external_id::CODES,
        "chain.policies" => chain::policies::CODES,
        "rds.instance" => rds::instance::CODES,
        "rds.token" => rds::token::CODES,
        "rds.connect" => rds::connect::CODES,
        "rds.grant" => rds::grant::CODES,
        "net.dns" => net::dns::CODES,
        "net.tcp" => net::tcp::CODES,
        "net.tls" => net::tls::CODES,
        "net.security_groups" => net::security_groups::CODES,
        "redshift.cluster" => redshift::cluster::CODES,
        "redshift.credentials" => redshift::credentials::CODES,
        "redshift.query" => redshift::query::CODES,
        "redshift.grants" => redshift::grants::CODES,
        "redshift.catalog" => redshift::catalog::CODES,
        _ => &[],
    }
}

/// The engine for `config`: the catalog's plan with this build's checks.
pub fn engine(config: &crate::config::Config) -> crate::engine::Engine {
    crate::engine::Engine::new(crate::engine::Plan::build(crate::catalog::catalog(), config, &factory))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn every_catalog_check_has_code_and_codes_match_the_catalog() {
        for entry in catalog().checks() {
            let id: &'static str = entry.id.as_str();
            assert!(factory(id, None).is_some(), "{id} has no code");
            let mut emitted: Vec<&str> = codes_of(id).iter().map(|c| c.as_str()).collect();
            emitted.sort_unstable();
            let mut listed: Vec<&str> = catalog().codes_of(id).iter().map(|c| c.code.as_str()).collect();
            listed.sort_unstable();
            assert_eq!(emitted, listed, "codes of {id}: code vs catalog");
        }
        for code in Code::ALL {
            let entry = catalog().code(*code).unwrap();
            assert!(
                entry.checks.iter().all(|id| codes_of(id).contains(code)),
                "{code} is listed under a check that never emits it"
            );
        }
    }
}
