//! Admin commands work on the store directly: they bootstrap an instance
//! before anyone holds a token. Each goes through the core's rules and
//! records its event like the API does.

use crate::config::StoreArgs;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, UserId};
use preflight_core::org::{OrgKind, Organisation, Role, Sector};
use preflight_core::partner::{PartnerVetting, VettingStatus};
use preflight_store::Store;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Register an organisation; prints its id.
    #[command(
        after_help = "Example:\n  preflight admin create-org --name \"St. Mary's Hospital\" --kind operator --sector healthcare"
    )]
    CreateOrg {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        name: String,
        /// developer_lab, government_evaluator, trusted_partner, clearinghouse or operator.
        #[arg(long)]
        kind: String,
        /// Operators only: healthcare, finance, energy, water, state_local_government, ...
        #[arg(long)]
        sector: Option<String>,
    },
    /// Create an account; prints its id.
    #[command(
        after_help = "Example:\n  preflight admin create-user --org \"Frontier Lab\" --name \"Dana Developer\" --email dana@lab.example --role developer"
    )]
    CreateUser {
        #[command(flatten)]
        store: StoreArgs,
        /// Organisation name or id (none for admins).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// admin, developer, government_evaluator, trusted_partner, clearinghouse_analyst or operator.
        #[arg(long)]
        role: String,
        /// Base64 Ed25519 public key (see `preflight keygen`).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Create an API token for a person; prints only the token, once.
    #[command(
        after_help = "Example:\n  preflight admin create-token --user dana@lab.example --label laptop"
    )]
    CreateToken {
        #[command(flatten)]
        store: StoreArgs,
        /// The person's email or id.
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        label: String,
        /// Days until the token expires; none means until revoked.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Set a person's password for the web interface, read from one line of
    /// standard input (or from the environment variable named).
    #[command(
        after_help = "Example:\n  printf '%s\\n' \"$PASSWORD\" | preflight admin set-password --user dana@lab.example"
    )]
    SetPassword {
        #[command(flatten)]
        store: StoreArgs,
        /// The person's email or id.
        #[arg(long)]
        user: String,
        /// Read the password from this environment variable instead of stdin.
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Record a trusted partner's vetting and declared conflicts.
    #[command(
        after_help = "Example:\n  preflight admin vet-partner --org \"Redline Security\" --until 2027-06-30T00:00:00Z --conflict \"Other Lab\""
    )]
    VetPartner {
        #[command(flatten)]
        store: StoreArgs,
        /// Partner organisation name or id.
        #[arg(long)]
        org: String,
        /// pending, vetted, suspended or revoked.
        #[arg(long, default_value = "vetted")]
        status: String,
        /// When the vetting lapses (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// Developer organisation (name or id) the partner is conflicted with; repeatable.
        #[arg(long)]
        conflict: Vec<String>,
    },
}

pub async fn run(cmd: AdminCommand) -> Result<()> {
    match cmd {
        AdminCommand::CreateOrg {
            store,
            name,
            kind,
            sector,
        } => {
            let instance = store.open().await?;
            let sector = sector.map(|s| s.parse::<Sector>()).transpose()?;
            let org = create_org(&instance.store, &name, kind.parse()?, sector).await?;
            println!("{}", org.id);
        }
        AdminCommand::CreateUser {
            store,
            org,
            name,
            email,
            role,
            public_key,
        } => {
            let instance = store.open().await?;
            let org = match org {
                Some(o) => Some(find_org(&instance.store, &o).await?),
                None => None,
            };
            let mut user = User::new(org.as_ref(), &name, &email, role.parse()?)?;
            if let Some(key) = public_key {
                preflight_core::terms::parse_public_key("public_key", &key)?;
                user.public_key = Some(key);
            }
            let event = Event::new(EventKind::UserCreated, None, None, Utc::now(), json!(user));
            instance.store.create_user(&user, &event).await?;
            println!("{}", user.id);
        }
        AdminCommand::CreateToken {
            store,
            user,
            label,
            expires_in_days,
        } => {
            let instance = store.open().await?;
            let user = find_user(&instance.store, &user).await?;
            let expires = expires_in_days.map(|d| Utc::now() + Duration::days(d));
            let event = Event::new(
                EventKind::TokenCreated,
                None,
                None,
                Utc::now(),
                json!({ "user_id": user.id, "label": label, "expires_at": expires }),
            );
            let token = instance
                .store
                .create_token(&instance.pepper, user.id, &label, expires, &event)
                .await?;
            println!("{}", token.secret.as_str());
        }
        AdminCommand::SetPassword {
            store,
            user,
            password_env,
        } => {
            let password = match password_env {
                Some(var) => std::env::var(&var)
                    .with_context(|| format!("environment variable {var} is not set"))?,
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let instance = store.open().await?;
            let user = find_user(&instance.store, &user).await?;
            set_password(&instance.store, &user, &password).await?;
            println!("password set for {}", user.email);
        }
        AdminCommand::VetPartner {
            store,
            org,
            status,
            until,
            conflict,
        } => {
            let instance = store.open().await?;
            let partner = find_org(&instance.store, &org).await?;
            if partner.kind != OrgKind::TrustedPartner {
                bail!(
                    "organisation {:?} is a {}, not a trusted partner",
                    partner.name,
                    partner.kind
                );
            }
            let mut conflicts_with = Vec::new();
            for c in conflict {
                conflicts_with.push(find_org(&instance.store, &c).await?.id);
            }
            let vetting = PartnerVetting {
                org_id: partner.id,
                status: status.parse::<VettingStatus>()?,
                vetted_until: until,
                conflicts_with,
                notes: String::new(),
            };
            let event = Event::new(
                EventKind::PartnerVettingSet,
                None,
                None,
                Utc::now(),
                json!(vetting),
            );
            instance.store.set_vetting(&vetting, &event).await?;
            println!("{} is {}", partner.name, vetting.status);
        }
    }
    Ok(())
}

pub async fn create_org(
    store: &Store,
    name: &str,
    kind: OrgKind,
    sector: Option<Sector>,
) -> Result<Organisation> {
    let org = Organisation::new(name, kind, sector)?;
    let event = Event::new(EventKind::OrgCreated, None, None, Utc::now(), json!(org));
    store.create_org(&org, &event).await?;
    Ok(org)
}

/// Creates an admin account and a token for it; returns the token.
pub async fn bootstrap_admin(instance: &crate::config::Instance, email: &str) -> Result<String> {
    let user = User::new(None, "Instance admin", email, Role::Admin)?;
    let event = Event::new(EventKind::UserCreated, None, None, Utc::now(), json!(user));
    instance.store.create_user(&user, &event).await?;
    let event = Event::new(
        EventKind::TokenCreated,
        None,
        None,
        Utc::now(),
        json!({ "user_id": user.id, "label": "bootstrap" }),
    );
    let token = instance
        .store
        .create_token(&instance.pepper, user.id, "bootstrap", None, &event)
        .await?;
    Ok(token.secret.to_string())
}

async fn find_org(store: &Store, name_or_id: &str) -> Result<Organisation> {
    if let Ok(id) = name_or_id.parse::<OrgId>() {
        return store
            .org(id)
            .await
            .with_context(|| format!("organisation {name_or_id}"));
    }
    store
        .org_by_name(name_or_id)
        .await?
        .with_context(|| format!("no organisation named {name_or_id:?}"))
}

async fn find_user(store: &Store, email_or_id: &str) -> Result<User> {
    if let Ok(id) = email_or_id.parse::<UserId>() {
        return store
            .user(id)
            .await
            .with_context(|| format!("user {email_or_id}"));
    }
    store
        .user_by_email(email_or_id)
        .await?
        .with_context(|| format!("no user with email {email_or_id:?}"))
}

/// Hashes `password` (Argon2id) and stores it for `user`, with its event.
pub async fn set_password(store: &Store, user: &User, password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < 12 {
        bail!("invalid password ({length} characters): at least 12");
    }
    let hash = preflight_server::web::signin::hash_password(password)
        .context("the password could not be hashed")?;
    let now = Utc::now();
    let event = Event::new(
        EventKind::PasswordSet,
        None,
        None,
        now,
        json!({ "user_id": user.id }),
    );
    store.set_password(user.id, &hash, now, &event).await?;
    Ok(())
}
