//! The lab's real PostgreSQL server: it starts from the template, runs SQL, lets a role it
//! created log in over its socket, and leaves nothing behind when dropped.

use std::time::Instant;

use connector_lab::Postgres;

#[test]
fn start_run_sql_connect_as_a_role_and_clean_up() {
    let started = Instant::now();
    let pg = Postgres::start().unwrap();
    eprintln!("PostgreSQL {} ready in {:?}", pg.version(), started.elapsed());
    assert!(pg.version().chars().next().is_some_and(|c| c.is_ascii_digit()), "{}", pg.version());
    assert_eq!(pg.superuser(), "postgres");
    let socket = pg.socket_dir().join(format!(".s.PGSQL.{}", pg.port()));
    assert!(socket.exists(), "{}", socket.display());

    pg.batch("postgres", "CREATE DATABASE app").unwrap();
    pg.batch("app", "CREATE ROLE reader LOGIN; CREATE TABLE t (n int); INSERT INTO t VALUES (41); GRANT SELECT ON t TO reader;")
        .unwrap();
    let err = pg.batch("app", "SELECT * FROM missing").unwrap_err();
    assert!(format!("{err:#}").contains("relation \"missing\" does not exist"), "{err:#}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (client, connection) = pg.config("reader", "app").connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let row =
            client.query_one("SELECT n + 1, current_user::text FROM t", &[]).await.unwrap_or_else(|e| {
                panic!("{}", connector_lab::postgres::describe_error(&e));
            });
        assert_eq!(row.get::<_, i32>(0), 42);
        assert_eq!(row.get::<_, String>(1), "reader");
        // The role may read, not write: the server's own privilege errors are what the lab is for.
        let err = client.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
        let err = match pg.config("reader", "nope").connect(tokio_postgres::NoTls).await {
            Ok(_) => panic!("connected to a database that does not exist"),
            Err(e) => e,
        };
        assert_eq!(
            connector_lab::postgres::describe_error(&err),
            "FATAL 3D000: database \"nope\" does not exist"
        );
    });

    let dir = pg.socket_dir().parent().unwrap().to_owned();
    drop(pg);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[test]
fn servers_are_independent_and_batch_works_inside_async_code() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let started = Instant::now();
        let (a, b) = (Postgres::start().unwrap(), Postgres::start().unwrap());
        eprintln!("two more servers ready in {:?}", started.elapsed());
        assert_ne!(a.socket_dir(), b.socket_dir());
        a.batch("postgres", "CREATE ROLE only_in_a LOGIN").unwrap();
        let err = b.batch("postgres", "SET ROLE only_in_a").unwrap_err();
        assert!(format!("{err:#}").contains("role \"only_in_a\" does not exist"), "{err:#}");
    });
}
