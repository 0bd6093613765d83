"""What the CI/CD workflows run besides the program: the features of the one build every stack
deploys, and the order of deploys (docs/pipeline.md)."""
