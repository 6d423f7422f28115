/*
 * Flotilla's pod sandbox process: it holds a pod's network namespace and does nothing else.
 *
 * Like Kubernetes' pause it runs as PID 1 of the sandbox container, so it must
 *   - exit 0 promptly on SIGTERM/SIGINT (PID 1 gets no default signal handlers, so without
 *     handlers `docker stop` would wait for its timeout and then SIGKILL), and
 *   - reap zombies: processes whose parent dies inside the sandbox are re-parented to PID 1.
 * It also writes the pod's /etc/resolv.conf when the kubelet gives one in FLOTILLA_RESOLV_CONF:
 * Docker's own file on a user-defined network names its embedded resolver, and the pod's other
 * containers share the sandbox's file, so writing it here (before they exist) is writing it for
 * the pod. The file is a bind mount: it is rewritten in place, never replaced.
 * Built with `gcc -static -Os` so the image needs nothing but this one file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAUSE_VERSION "flotilla-pause 1.1"

static void write_resolv_conf(const char *text) {
  size_t left = strlen(text);
  int fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror("pause: /etc/resolv.conf");
    return;
  }
  while (left > 0) {
    ssize_t n = write(fd, text, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("pause: writing /etc/resolv.conf");
      break;
    }
    text += n;
    left -= (size_t)n;
  }
  close(fd);
}

static void on_stop(int sig) {
  (void)sig;
  /* _exit is async-signal-safe; nothing to flush or clean up. */
  _exit(0);
}

static void on_child(int sig) {
  int saved_errno = errno;
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

int main(int argc, char **argv) {
  struct sigaction sa;

  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("%s\n", PAUSE_VERSION);
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "warning: pause should be the first process of its container\n");
  }

  const char *resolv = getenv("FLOTILLA_RESOLV_CONF");
  if (resolv != NULL && resolv[0] != '\0') write_resolv_conf(resolv);

  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop;
  if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
    perror("sigaction");
    return 1;
  }
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) {
    perror("sigaction");
    return 1;
  }

  for (;;) {
    pause();
  }
  return 42; /* not reached */
}
