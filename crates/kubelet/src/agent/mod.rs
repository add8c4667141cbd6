//! The real kubelet: registers its Node, keeps its Lease, runs the pods bound to it through CRI.
