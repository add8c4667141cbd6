//! Pod networking through CNI: the configuration the kubelet writes for its podCIDR.
