//! Volumes: what each pod volume becomes on the node, and the mounts a container gets.
