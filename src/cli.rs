//! The command line. Every option has an environment twin, so a pod spec can set it without
//! changing the command.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Overrides;
use crate::report::style::ColorChoice;

/// Walks the AWS chain a data connector uses from inside its pod (credentials, roles, data
/// services, network) and shows each link's status beside the remedy for what is broken.
#[derive(Debug, Parser)]
#[command(name = "connector-doctor", version, about, long_about = None, max_term_width = 100)]
pub struct Args {
    /// What to do; without one, diagnose the chain.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Configuration file [default: ./connector-doctor.toml when it exists].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the JSON report on stdout (same as --format json).
    #[arg(long, global = true)]
    pub json: bool,

    /// Report format.
    #[arg(long, global = true, value_enum, env = "CONNECTOR_DOCTOR_FORMAT")]
    pub format: Option<Format>,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short, global = true, env = "CONNECTOR_DOCTOR_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Treat warnings as failures in the exit code.
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_STRICT")]
    pub strict: bool,

    /// When to colour the output.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "CONNECTOR_DOCTOR_COLOR",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,

    /// AWS region [default: configuration, `AWS_REGION`, `AWS_DEFAULT_REGION`, profile].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_REGION")]
    pub region: Option<String>,

    /// The role the pod should run as; a different caller is reported.
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_BASE_ROLE_ARN", value_name = "ARN")]
    pub base_role_arn: Option<String>,

    /// The EKS cluster's name, filled into remedies.
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_CLUSTER_NAME", value_name = "NAME")]
    pub cluster_name: Option<String>,

    /// The pod's namespace, filled into remedies [default: from the token].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_NAMESPACE")]
    pub namespace: Option<String>,

    /// The pod's service account, filled into remedies [default: from the token].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_SERVICE_ACCOUNT", value_name = "NAME")]
    pub service_account: Option<String>,

    /// The audience IRSA tokens must carry [default: sts.amazonaws.com].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_IRSA_AUDIENCE", value_name = "AUDIENCE")]
    pub irsa_audience: Option<String>,

    /// Deadline for the whole run, in seconds [default: 60].
    #[arg(long, global = true, env = "CONNECTOR_DOCTOR_TIMEOUT", value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Connect to ADDRESS:PORT whenever HOST:PORT is asked for, as curl's --connect-to does
    /// (for a database behind a tunnel or a test double; names and tokens stay HOST's). Adds to
    /// the rules in CONNECTOR_DOCTOR_CONNECT_TO (comma-separated) and the file's, before them.
    #[arg(long, global = true, value_name = "HOST:PORT:ADDRESS:PORT", value_delimiter = ',')]
    #[allow(clippy::doc_markdown)] // --help text: a variable name, not code.
    pub connect_to: Vec<String>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what a failure code means and how to fix it.
    Explain {
        /// The failure code, as in a report (e.g. no-credential-source).
        code: String,
    },
    /// List every check, what it proves and what it needs.
    ListChecks,
    /// Guided onboarding: a vendor's setup with your values filled in, its policies proven
    /// before anything is applied, and each step proven by its checks afterwards.
    ///
    /// Without --print or --check-plan, runs every check against the live environment and shows
    /// each step as done, to do (with the failing check's remedy) or blocked (--json for JSON).
    ///
    /// Values come from the configuration file (region, base_role_arn, cluster_name, the
    /// [[connector]] entries) and from --value flags. A connector's ExternalId is never printed:
    /// the guide and the script name an environment variable (EXTERNAL_ID_<CONNECTOR>) instead.
    /// Exit codes: 0 done, 1 the plan proof or a step's check failed, 2 bad usage or a bad value.
    #[command(verbatim_doc_comment)]
    #[allow(clippy::doc_markdown)] // --help text: names of fields and variables, not code.
    Onboard(OnboardArgs),
}

/// The options of `onboard`.
#[derive(Debug, clap::Args)]
pub struct OnboardArgs {
    /// The vendor setup to follow [default: preset in the configuration].
    #[arg(long, value_name = "PRESET", value_parser = ["xpander", "qualytics", "vcluster-rds"])]
    pub preset: Option<String>,

    /// Print the whole guide as Markdown: values, plan proof, every step's policies and commands,
    /// and the script of all commands (unless --script writes it to a file).
    #[arg(long)]
    pub print: bool,

    /// Write the shell script of every command to FILE (with --print).
    #[arg(long, value_name = "FILE", requires = "print")]
    pub script: Option<PathBuf>,

    /// Prove the generated policies with the IAM evaluator and print only the proof; exit 1 if a
    /// request the chain makes would be denied, or a value is missing.
    #[arg(long, conflicts_with = "print")]
    pub check_plan: bool,

    /// A value the setup needs, as KEY=VALUE (repeatable), e.g. --value account=111122223333.
    /// The guide lists the keys it still misses. Values are remembered for the next run
    /// (ExternalIds excepted); KEY= forgets one.
    #[arg(long = "value", value_name = "KEY=VALUE")]
    pub values: Vec<String>,

    /// Learn what AWS and the pod can tell before the guide is written, by running the checks
    /// first: the account and base role (caller identity), the namespace and service account
    /// (the pod's token), the OIDC provider (an IRSA token's issuer), and per connector an RDS
    /// database's resource id and endpoint or a Serverless workgroup's ARN. Values given
    /// otherwise win.
    #[arg(long)]
    pub discover: bool,

    /// Where the onboarding remembers its preset, values and step states between runs.
    #[arg(
        long,
        value_name = "FILE",
        env = "CONNECTOR_DOCTOR_ONBOARD_PROGRESS",
        default_value = ".connector-doctor-onboard.toml"
    )]
    pub progress: PathBuf,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for a person.
    Text,
    /// Markdown for a ticket.
    Markdown,
    /// The JSON report (the stable contract).
    Json,
}

impl Args {
    /// The report format in force.
    pub fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format.unwrap_or(Format::Text) }
    }

    /// The settings that override the configuration file.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            region: self.region.clone(),
            base_role_arn: self.base_role_arn.clone(),
            cluster_name: self.cluster_name.clone(),
            namespace: self.namespace.clone(),
            service_account: self.service_account.clone(),
            irsa_audience: self.irsa_audience.clone(),
            timeout_secs: self.timeout,
            connect_to: self
                .connect_to
                .iter()
                .cloned()
                .chain(
                    std::env::var("CONNECTOR_DOCTOR_CONNECT_TO")
                        .unwrap_or_default()
                        .split(',')
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(str::to_owned),
                )
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }
}
