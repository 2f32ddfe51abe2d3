#include <sys/prctl.h>
#include <linux/prctl.h>

/* prctl is variadic and cannot be called from Swift directly. */
static inline int virtaudit_clear_ambient_capabilities(void) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* 1 when the capability is in the calling thread's ambient set, 0 when not, -1 on error. */
static inline int virtaudit_ambient_capability(int cap) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
}

/* Alert commands (Reporting/AlertCommand.swift): GNU extensions the Glibc module hides. */
#include <spawn.h>
extern int pipe2(int pipefd[2], int flags);
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

static inline int virtaudit_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

/* The child closes every descriptor from `from` up (glibc 2.34 and later). */
static inline int virtaudit_spawn_closefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
