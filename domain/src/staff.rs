//! Who works for whom: resellers, staff users, their roles (cargos) and the
//! scope that bounds every read and change they make.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{ResellerId, RoleId, StaffId};

/// A reseller (revenda).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reseller {
    /// Its id.
    pub id: ResellerId,
    /// Its name as people know it.
    pub name: String,
}

/// Where a staff member may act: the whole provider, or one reseller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every reseller's data.
    Provider,
    /// One reseller's data and nothing else.
    Reseller(ResellerId),
}

impl Scope {
    /// Whether data of `reseller` is inside this scope.
    pub fn covers(self, reseller: ResellerId) -> bool {
        match self {
            Scope::Provider => true,
            Scope::Reseller(own) => own == reseller,
        }
    }

    /// The reseller a query must be restricted to, if any.
    pub fn reseller(self) -> Option<ResellerId> {
        match self {
            Scope::Provider => None,
            Scope::Reseller(r) => Some(r),
        }
    }
}

/// The role whose members do the work orders (O.S.) in the field.
pub const TECHNICIAN_ROLE: &str = "Técnico de campo";

/// The default roles every installation starts with.
pub const DEFAULT_ROLES: [(&str, bool); 5] = [
    ("Suporte N1", false),
    ("Suporte N2", false),
    ("Financeiro", true),
    (TECHNICIAN_ROLE, false),
    ("Supervisor", true),
];

/// A role (cargo): a job position that tickets can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Its id.
    pub id: RoleId,
    /// "Suporte N1", "Financeiro", ...
    pub name: String,
    /// Whether holders see CPF/CNPJ whole rather than masked.
    pub sees_documents: bool,
}

/// A staff user (usuário) of the provider or of a reseller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Its id.
    pub id: StaffId,
    /// Full name.
    pub name: String,
    /// Where they may act.
    pub scope: Scope,
    /// Their roles.
    pub roles: Vec<Role>,
    /// Work e-mail, if any.
    pub email: Option<String>,
    /// Linked Telegram user id, once linked.
    pub telegram_id: Option<i64>,
    /// Disabled staff lose access at once.
    pub active: bool,
    /// Telegram refused to deliver to them (they blocked the bot); cleared
    /// when they write to the bot again.
    pub telegram_unreachable: bool,
    /// When they were added.
    pub created_at: DateTime<Utc>,
}

/// Which part of balcão acts when no staff member does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// The provider's administrator at the command line (imports, seed, CLI).
    Admin,
    /// Intake: e-mails and web-form contacts.
    Intake,
    /// Scheduled jobs.
    Jobs,
}

impl System {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Admin => "admin",
            System::Intake => "intake",
            System::Jobs => "jobs",
        }
    }

    /// From the stored form; `None` for anything else.
    pub fn from_stored(s: &str) -> Option<System> {
        match s {
            "admin" => Some(System::Admin),
            "intake" => Some(System::Intake),
            "jobs" => Some(System::Jobs),
            _ => None,
        }
    }

    /// How a ticket's history names it.
    pub fn label(self) -> &'static str {
        match self {
            System::Admin => "Sistema",
            System::Intake => "Entrada de contatos",
            System::Jobs => "Rotinas",
        }
    }
}

/// Who acts: a staff member, or a part of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A staff member.
    Staff(StaffId),
    /// balcão itself.
    System(System),
}

/// Who is acting, their scope and what their roles allow. Every port method
/// that reads or changes client data takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who acts.
    pub who: Who,
    /// Where they may act.
    pub scope: Scope,
    /// The roles they hold.
    pub roles: Vec<RoleId>,
    /// Whether any of their roles may see documents whole.
    pub sees_documents: bool,
}

impl Actor {
    /// The actor a staff member acts as.
    pub fn of(staff: &Staff) -> Self {
        Actor::staff(
            staff.id,
            staff.scope,
            staff.roles.iter().map(|r| r.id).collect(),
            staff.roles.iter().any(|r| r.sees_documents),
        )
    }

    /// A staff member with this scope and these roles.
    pub fn staff(id: StaffId, scope: Scope, roles: Vec<RoleId>, sees_documents: bool) -> Self {
        Actor { who: Who::Staff(id), scope, roles, sees_documents }
    }

    /// A part of the system: provider-wide, no roles.
    pub fn system(which: System) -> Self {
        Actor { who: Who::System(which), scope: Scope::Provider, roles: Vec::new(), sees_documents: true }
    }

    /// The provider's administrator at the command line.
    pub fn admin() -> Self {
        Actor::system(System::Admin)
    }

    /// The staff member acting, if one is.
    pub fn staff_id(&self) -> Option<StaffId> {
        match self.who {
            Who::Staff(s) => Some(s),
            Who::System(_) => None,
        }
    }
}

/// What `staff add` asks for.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Full name.
    pub name: String,
    /// Provider-wide, or the reseller (by name) they work for.
    pub reseller: Option<String>,
    /// Role names; at least one.
    pub roles: Vec<String>,
    /// Work e-mail.
    pub email: Option<String>,
    /// Telegram user id, when already known.
    pub telegram_id: Option<i64>,
}

impl NewStaff {
    /// Checks the fields a person typed.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name.trim().chars().count() < 2 {
            return Err(DomainError::invalid("informe o nome do usuário"));
        }
        if self.roles.is_empty() {
            return Err(DomainError::invalid("informe ao menos um cargo"));
        }
        if let Some(e) = &self.email {
            crate::client::parse_email(e)?;
        }
        Ok(())
    }
}

/// A staff member just added, with the one-time code that links their
/// Telegram account when no Telegram id was given.
#[derive(Debug, Clone)]
pub struct AddedStaff {
    /// The staff member.
    pub staff: Staff,
    /// The invite code to send them; shown once.
    pub invite_code: Option<String>,
    /// When the code stops working.
    pub invite_expires_at: Option<DateTime<Utc>>,
}

/// The digest under which a one-time invite code is stored: the code itself
/// never is. Case, spaces and dashes are ignored, as people retype it.
pub fn invite_hash(code: &str) -> String {
    use sha2::Digest;
    let normalized: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    sha2::Sha256::digest(normalized.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reseller_scope_covers_only_its_reseller() {
        let s = Scope::Reseller(ResellerId(1));
        assert!(s.covers(ResellerId(1)));
        assert!(!s.covers(ResellerId(2)));
        assert!(Scope::Provider.covers(ResellerId(2)));
    }
}
