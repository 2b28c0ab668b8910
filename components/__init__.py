"""inferstack components: import them into your own Pulumi program.

    from components import GpuNodeGroup, GpuNodeGroupArgs

Each component takes one typed `XArgs`, parents its children to itself, never creates AWS providers
(children inherit the caller's, pass `opts=pulumi.ResourceOptions(provider=...)`), and defaults to the
secure posture.
"""
