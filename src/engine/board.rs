//! The board: where a check leaves what later checks need (credentials, the token, the source
//! in force), keyed by type and connector, so checks stay decoupled from each other's code.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Slot = (TypeId, Option<String>);

/// A typed blackboard shared by the checks of a run.
#[derive(Clone, Default)]
pub struct Board {
    slots: Arc<Mutex<HashMap<Slot, Arc<dyn Any + Send + Sync>>>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The board holds secrets (credentials): never print its contents.
        f.write_str("Board")
    }
}

impl Board {
    /// Leaves `value` for later checks, for `connector` or the pod as a whole.
    pub fn put<T: Any + Send + Sync>(&self, connector: Option<&str>, value: T) {
        self.lock().insert((TypeId::of::<T>(), connector.map(str::to_owned)), Arc::new(value));
    }

    /// What an earlier check left, if anything.
    pub fn get<T: Any + Send + Sync>(&self, connector: Option<&str>) -> Option<Arc<T>> {
        let value = self.lock().get(&(TypeId::of::<T>(), connector.map(str::to_owned))).cloned()?;
        value.downcast::<T>().ok()
    }

    /// Removes what an earlier check left (a connection a re-run replaces), returning it.
    pub fn take<T: Any + Send + Sync>(&self, connector: Option<&str>) -> Option<Arc<T>> {
        let value = self.lock().remove(&(TypeId::of::<T>(), connector.map(str::to_owned)))?;
        value.downcast::<T>().ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Slot, Arc<dyn Any + Send + Sync>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_per_type_and_connector() {
        let b = Board::default();
        b.put(None, 7_u32);
        b.put(Some("w"), 9_u32);
        b.put(None, "text");
        assert_eq!(*b.get::<u32>(None).unwrap(), 7);
        assert_eq!(*b.get::<u32>(Some("w")).unwrap(), 9);
        assert_eq!(*b.get::<&str>(None).unwrap(), "text");
        assert!(b.get::<u64>(None).is_none());
        assert_eq!(*b.take::<u32>(Some("w")).unwrap(), 9);
        assert!(b.get::<u32>(Some("w")).is_none());
    }
}
