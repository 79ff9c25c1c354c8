CREATE INDEX ON public.lineitem (l_partkey,l_quantity);
CREATE INDEX ON public.partsupp (ps_partkey,ps_supplycost);
CREATE INDEX ON public.orders (o_custkey);
CREATE INDEX ON public.supplier (s_suppkey,s_nationkey);
CREATE INDEX ON public.region (r_regionkey,r_name);
CREATE INDEX ON public.part (p_size);
CREATE INDEX ON public.lineitem (l_orderkey);
