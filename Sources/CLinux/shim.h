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
