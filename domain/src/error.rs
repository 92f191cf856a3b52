//! The errors every use case and port speaks. Messages are Portuguese because
//! they reach staff as they are; causes of backend failures are for logs only.

/// What went wrong in a business step.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input that a person or a file sent is not acceptable; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist, or exists outside the actor's scope: the two
    /// look the same on purpose, so a reseller cannot probe another's data.
    #[error("{0} não encontrado")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("você não tem permissão para isso")]
    Forbidden,
    /// The change conflicts with what is stored (a duplicate, a stale state).
    #[error("{0}")]
    Conflict(String),
    /// The store failed; the cause is for the log, never for the user.
    #[error("falha no armazenamento")]
    Backend(String),
}

impl DomainError {
    /// Shorthand for an [`DomainError::Invalid`] with a message.
    pub fn invalid(msg: impl Into<String>) -> Self {
        DomainError::Invalid(msg.into())
    }
}

/// A result with a [`DomainError`].
pub type DomainResult<T> = Result<T, DomainError>;
