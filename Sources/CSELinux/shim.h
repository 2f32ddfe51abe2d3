#include <selinux/selinux.h>
#include <selinux/context.h>
#include <sys/xattr.h>
