//! Container environment: value, configMap/secret refs, fieldRef, resourceFieldRef, envFrom and service variables.
