/*
 * pause: the first process of every pod sandbox rkube runs.
 *
 * It holds the pod's namespaces open while the pod's containers come and
 * go. As PID 1 of the sandbox's PID namespace (when the pod shares one) it
 * also inherits orphaned processes, so it reaps every child that exits
 * rather than leaving zombies behind. SIGINT and SIGTERM end it with exit
 * status 0: that is how the runtime stops a sandbox.
 *
 * Written for rkube; statically linked by crates/kubelet/build.rs so that
 * the image needs nothing else.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "rkube-pause 1.0"

/* SIGINT, SIGTERM: stop at once, successfully. */
static void on_stop(int sig)
{
	(void)sig;
	_exit(0);
}

/* SIGCHLD: collect every child that has exited, keeping errno intact. */
static void on_child(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int handle(int sig, void (*handler)(int), int flags)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_handler = handler;
	action.sa_flags = flags;
	sigemptyset(&action.sa_mask);
	return sigaction(sig, &action, NULL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
		puts(VERSION);
		return 0;
	}
	if (getpid() != 1)
		fputs("pause: warning: not running as PID 1\n", stderr);
	if (handle(SIGINT, on_stop, 0) < 0 || handle(SIGTERM, on_stop, 0) < 0 ||
	    handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) < 0) {
		perror("pause: sigaction");
		return 1;
	}
	/* Children that exited before the handler was installed. */
	on_child(SIGCHLD);
	for (;;)
		pause();
}
