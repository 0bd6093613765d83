"""The program without the Pulumi CLI or a cloud: Pulumi's mock monitor stands in for the engine
and AWS, everything else (the program, the build, the policy pack) is real."""
