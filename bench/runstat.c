/*
 * Runs a command and reports its resources, for bench/run.sh (not a test):
 *
 *   runstat [-t SECONDS] [-o OUT] [-i IN] -- COMMAND [ARGS...]
 *
 * The command's stdout goes to OUT (default /dev/null), its stdin comes from
 * IN (default /dev/null), its stderr is inherited. After SECONDS (default
 * 600) the command is killed (SIGKILL to its process group). It prints one
 * line on stdout:
 *
 *   RUN status=N wall=S user=S sys=S cpu=S maxrss_kb=N timeout=0|1
 *
 * with times in seconds (microsecond resolution, from wait4()'s rusage) and
 * maxrss the peak resident set of the command (of its largest process, as
 * the kernel reports it for waited-for children). status is the exit status,
 * or 128 + the signal number.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    unsigned seconds = 600;
    const char *out = "/dev/null", *in = "/dev/null";
    int c;
    while ((c = getopt(argc, argv, "+t:o:i:")) != -1) {
        switch (c) {
        case 't': seconds = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'i': in = optarg; break;
        default:
            fprintf(stderr, "usage: runstat [-t SECONDS] [-o OUT] [-i IN] -- COMMAND [ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: runstat [-t SECONDS] [-o OUT] [-i IN] -- COMMAND [ARGS...]\n");
        return 2;
    }
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int ifd = open(in, O_RDONLY);
        if (ofd < 0 || ifd < 0) {
            perror("runstat: open");
            _exit(127);
        }
        dup2(ofd, 1);
        dup2(ifd, 0);
        close(ofd);
        close(ifd);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "runstat: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: wait4 returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &status, 0, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno == EINTR) {
            if (timed_out)
                kill(-pid, SIGKILL);
            continue;
        }
        perror("runstat: wait4");
        return 1;
    }
    double wall = now_s() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("RUN status=%d wall=%.6f user=%.6f sys=%.6f cpu=%.6f maxrss_kb=%ld timeout=%d\n", code,
           wall, tv_s(ru.ru_utime), tv_s(ru.ru_stime), tv_s(ru.ru_utime) + tv_s(ru.ru_stime),
           ru.ru_maxrss, timed_out ? 1 : 0);
    return 0;
}
