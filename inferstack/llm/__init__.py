"""LLM serving: what the runtimes support (`runtime`) and the GPU memory planner (`planner`)."""
