// benchnop: returns 0 at once. sipbench spawns and waits for it to measure
// SIP create+start+exit+wait.
int main(int argc, char **argv) {
    (void)argc, (void)argv;
    return 0;
}
