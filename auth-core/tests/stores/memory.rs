//! The contract, on the in-memory store.

use std::sync::Arc;

use auth_core::MemoryStore;

use crate::contract::Backend;

struct Memory;

impl Backend for Memory {
    type Store = Arc<MemoryStore>;

    async fn fresh(&self) -> Option<Self::Store> {
        Some(Arc::new(MemoryStore::new()))
    }

    async fn twin(&self, of: &Self::Store) -> Self::Store {
        of.clone()
    }
}

crate::contract_tests!(Memory);
