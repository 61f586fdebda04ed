//! The quickstart server: hawkapi-auth's quickstart as a Rocket app.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | open |
//! | `POST /register {"email","password"}` | 201; 409 duplicate; 422 invalid email or password |
//! | `POST /login {"email","password"}` | 200 token pair; 401 `Invalid credentials` |
//! | `POST /refresh {"refresh_token"}` | 200 next pair; the token presented is spent, and a replay ends the session |
//! | `POST /logout {"refresh_token"}` | 200; the session (refresh and access tokens) is refused afterwards |
//! | `POST /logout-all` | 200; every token of the caller so far is refused, on every instance |
//! | `GET /me` | `{"user_id"}` with a valid access token |
//! | `GET /claims` | the verified claims |
//! | `GET /admin` | requires the `admin` scope (accounts listed in `admins`) |
//! | `GET /.well-known/jwks.json` | the public keys (with an asymmetric key or ring configured) |
//!
//! Configuration: the `auth` table (see `auth_rocket::AuthConfig`), plus `database` (the
//! SQLite file, default `quickstart.sqlite3`) and `admins` (emails given the `admin`
//! scope), in `Rocket.toml` or as `ROCKET_AUTH_*`, `ROCKET_DATABASE`, `ROCKET_ADMINS`.
//! Revocations go to the same SQLite file unless `auth.store` says otherwise
//! (`ROCKET_AUTH_STORE=redis` with `ROCKET_AUTH_REDIS_URL` for several instances).
//! Without a configured secret the server starts on a random one and says so loudly.

pub mod config;
pub mod error;
pub mod routes;
pub mod users;

use auth_rocket::{Auth, has_signing_key, random_secret};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket, routes};

use crate::config::QuickstartConfig;
use crate::users::Users;

/// The server, configured from Rocket's usual sources (`Rocket.toml`, `ROCKET_*`).
#[must_use]
pub fn rocket() -> Rocket<Build> {
    rocket_from(rocket::Config::figment())
}

/// The server, configured from `figment` (tests use it to pick a port, a database
/// file, a secret).
#[must_use]
pub fn rocket_from(figment: Figment) -> Rocket<Build> {
    // Revocations survive restarts by default: in the users' SQLite file.
    let database = figment
        .extract_inner::<std::path::PathBuf>("database")
        .unwrap_or_else(|_| QuickstartConfig::default().database);
    let figment = figment
        .join(("auth.store", "sqlite"))
        .join(("auth.store_path", database));
    rocket::custom(figment)
        .attach(AdHoc::on_ignite("Development secret", development_secret))
        .attach(Auth::fairing())
        .attach(AdHoc::try_on_ignite("User database", open_users))
        .mount(
            "/",
            routes![
                routes::health,
                routes::register,
                routes::login,
                routes::refresh,
                routes::logout,
                routes::logout_all,
                routes::me,
                routes::claims,
                routes::admin,
            ],
        )
        .mount("/", auth_rocket::jwks_routes())
        .register("/", error::json_catchers())
}

/// Without a configured key, start on a random secret rather than refuse to start, and
/// say so loudly: every token dies with the process.
async fn development_secret(rocket: Rocket<Build>) -> Rocket<Build> {
    if has_signing_key(rocket.figment()) {
        return rocket;
    }
    let banner = "WARNING: no JWT secret is configured (ROCKET_AUTH_SECRET or `secret` in [default.auth]).\n\
                  WARNING: the quickstart is running on a RANDOM secret: every token it issues becomes\n\
                  WARNING: invalid when it restarts, and other instances cannot verify them.\n\
                  WARNING: set one, e.g. ROCKET_AUTH_SECRET=$(openssl rand -base64 48)";
    eprintln!("\n{banner}\n");
    log::warn!("auth: running on a random development secret; set ROCKET_AUTH_SECRET");
    let figment = rocket
        .figment()
        .clone()
        .merge(("auth.secret", random_secret().expose().to_owned()));
    rocket.configure(figment)
}

async fn open_users(rocket: Rocket<Build>) -> Result<Rocket<Build>, Rocket<Build>> {
    let config: QuickstartConfig = match rocket.figment().extract() {
        Ok(c) => c,
        Err(e) => {
            rocket::config::pretty_print_error(e);
            return Err(rocket);
        }
    };
    match Users::open(&config.database) {
        Ok(users) => {
            log::info!("quickstart: users in {}", config.database.display());
            Ok(rocket.manage(users).manage(config))
        }
        Err(e) => {
            log::error!(
                "quickstart: cannot open the user database {}: {e}; set `database` (ROCKET_DATABASE) to a writable path",
                config.database.display()
            );
            Err(rocket)
        }
    }
}
