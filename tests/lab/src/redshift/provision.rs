//! What the real PostgreSQL server gets when a lab with Redshift starts: the databases of
//! every cluster and workgroup, their users as LOGIN roles without a password, the tables
//! with a couple of rows, exactly the USAGE and SELECT grants the scenario lists, and in every
//! database the catalog view the connectors read, `pg_catalog.svv_all_columns`.
//!
//! PostgreSQL gives every user USAGE on `public` by default; Redshift-like worlds need "this
//! user lacks USAGE on public" to be describable, so that default is revoked in the databases
//! the lab creates and USAGE is exactly what `usage` lists.
//!
//! Redshift's `svv_all_columns` lives in `pg_catalog`. Creating a view there needs
//! `allow_system_table_mods`, which a superuser may set for its own session, so the setup
//! session sets it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;

use crate::postgres::Postgres;
use crate::scenario::Scenario;
use crate::scenario::redshift::{Warehouse, split_table};

/// Quotes an identifier for SQL.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What one database gets.
#[derive(Debug, Default)]
struct Database {
    tables: BTreeSet<(String, String)>,
    /// user → (USAGE schemas, SELECT schemas)
    grants: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

/// The view the connectors read columns from, built on `information_schema` with Redshift's
/// column names and types. Like `information_schema.columns`, it shows a user only the
/// columns it has some privilege on.
const SVV_ALL_COLUMNS: &str = "CREATE OR REPLACE VIEW pg_catalog.svv_all_columns AS
SELECT current_database()::varchar(128) AS database_name,
       c.table_schema::varchar(128) AS schema_name,
       c.table_name::varchar(128) AS table_name,
       c.column_name::varchar(128) AS column_name,
       c.ordinal_position::int AS ordinal_position,
       c.column_default::varchar(4000) AS column_default,
       c.is_nullable::varchar(3) AS is_nullable,
       c.data_type::varchar(128) AS data_type,
       c.character_maximum_length::int AS character_maximum_length,
       c.numeric_precision::int AS numeric_precision,
       c.numeric_scale::int AS numeric_scale,
       NULL::varchar(256) AS remarks
  FROM information_schema.columns c
 WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema');
GRANT SELECT ON pg_catalog.svv_all_columns TO PUBLIC;
";

/// The SQL that sets up one database.
fn database_sql(database: &Database) -> String {
    let mut sql =
        String::from("SET allow_system_table_mods = on;\nREVOKE ALL ON SCHEMA public FROM PUBLIC;\n");
    let mut schemas: BTreeSet<&str> = database.tables.iter().map(|(s, _)| s.as_str()).collect();
    for (usage, select) in database.grants.values() {
        schemas.extend(usage.iter().chain(select).map(String::as_str));
    }
    for schema in schemas.iter().filter(|s| **s != "public") {
        sql.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};\n", ident(schema)));
    }
    for (schema, table) in &database.tables {
        let name = format!("{}.{}", ident(schema), ident(table));
        sql.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {name} (
  id bigint PRIMARY KEY,
  name varchar(64) NOT NULL,
  amount numeric(12,2),
  ratio double precision,
  active boolean NOT NULL,
  created_at timestamp NOT NULL
);
INSERT INTO {name} VALUES
  (1, 'first', 19.99, 0.25, true, '2026-01-15 09:30:00'),
  (2, 'second', NULL, NULL, false, '2026-01-16 10:45:00')
  ON CONFLICT DO NOTHING;
"
        ));
    }
    for (user, (usage, select)) in &database.grants {
        for schema in usage {
            sql.push_str(&format!("GRANT USAGE ON SCHEMA {} TO {};\n", ident(schema), ident(user)));
        }
        for schema in select {
            sql.push_str(&format!(
                "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {};\n",
                ident(schema),
                ident(user)
            ));
        }
    }
    sql.push_str(SVV_ALL_COLUMNS);
    sql
}

/// The SQL that creates the users that do not exist yet (roles are server-wide).
fn users_sql(users: &BTreeSet<&str>) -> String {
    users
        .iter()
        .map(|user| {
            format!(
                "DO $connector_lab$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = {}) THEN
    CREATE ROLE {} LOGIN;
  END IF;
END $connector_lab$;
",
                literal(user),
                ident(user)
            )
        })
        .collect()
}

/// Every database of every cluster and workgroup, with what it gets.
fn plan(scenario: &Scenario) -> BTreeMap<String, Database> {
    let warehouses: Vec<&Warehouse> = scenario
        .redshift
        .iter()
        .map(|c| &c.warehouse)
        .chain(scenario.workgroups.iter().map(|w| &w.warehouse))
        .collect();
    let mut databases: BTreeMap<String, Database> = BTreeMap::new();
    for warehouse in warehouses {
        for name in &warehouse.databases {
            let database = databases.entry(name.clone()).or_default();
            database.tables.extend(warehouse.tables.iter().map(|t| split_table(t)));
            for user in &warehouse.users {
                let grants = database.grants.entry(user.name.clone()).or_default();
                grants.0.extend(user.usage.iter().cloned());
                grants.1.extend(user.select.iter().cloned());
            }
        }
    }
    databases
}

/// Sets the server up for the scenario's clusters and workgroups (nothing when it has none).
pub fn provision(scenario: &Scenario, server: &Postgres) -> anyhow::Result<()> {
    let databases = plan(scenario);
    if databases.is_empty() {
        return Ok(());
    }
    let maintenance = "postgres";
    for name in databases.keys() {
        // 42P04 (duplicate_database): another part of the world made it already.
        if let Err(e) = server.batch(maintenance, &format!("CREATE DATABASE {}", ident(name)))
            && !format!("{e:#}").contains("42P04")
        {
            return Err(e).with_context(|| format!("cannot create the Redshift database {name}"));
        }
    }
    let users: BTreeSet<&str> =
        databases.values().flat_map(|d| d.grants.keys().map(String::as_str)).collect();
    if !users.is_empty() {
        server.batch(maintenance, &users_sql(&users)).context("cannot create the Redshift database users")?;
    }
    for (name, database) in &databases {
        server
            .batch(name, &database_sql(database))
            .with_context(|| format!("cannot set up the Redshift database {name}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_each_database_once_with_every_grant() {
        let scenario = Scenario::from_toml_str(
            r#"
[[redshift]]
id = "c"
databases = ["dev", "sales"]
tables = ["public.orders", "crm.accounts"]
[[redshift.user]]
name = "IAMR:a"
usage = ["public"]
select = ["public"]
[[workgroup]]
name = "w"
tables = ["public.orders"]
[[workgroup.user]]
name = "IAMR:b"
usage = ["crm"]
"#,
        )
        .unwrap();
        let plan = plan(&scenario);
        assert_eq!(plan.keys().collect::<Vec<_>>(), ["dev", "sales"]);
        let dev = &plan["dev"];
        assert_eq!(dev.tables.len(), 2);
        assert_eq!(dev.grants.keys().collect::<Vec<_>>(), ["IAMR:a", "IAMR:b"]);
        let sql = database_sql(dev);
        assert!(sql.contains("CREATE SCHEMA IF NOT EXISTS \"crm\";"), "{sql}");
        assert!(sql.contains("GRANT SELECT ON ALL TABLES IN SCHEMA \"public\" TO \"IAMR:a\";"), "{sql}");
        assert!(sql.contains("GRANT USAGE ON SCHEMA \"crm\" TO \"IAMR:b\";"), "{sql}");
        assert!(sql.contains("pg_catalog.svv_all_columns"));
        let users = users_sql(&BTreeSet::from(["it's"]));
        assert!(
            users.contains("rolname = 'it''s'") && users.contains("CREATE ROLE \"it's\" LOGIN"),
            "{users}"
        );
    }
}
