-- A small workload for tests/ghc/rts_stats_test.py: four labelled threads build
-- maps (allocation, copying, major GCs), user spans START/STOP with
-- subscripts, and one spark (par) so SPARKS has figures.
import Control.Concurrent
import Control.Monad
import qualified Data.Map.Strict as M
import Debug.Trace (traceEventIO)
import GHC.Conc (par, pseq, labelThread, myThreadId)
import System.Environment

fib :: Int -> Integer
fib n = if n < 2 then toInteger n else fib (n-1) + fib (n-2)

main :: IO ()
main = do
  args <- getArgs
  let n = case args of (a:_) -> read a; _ -> 200000
  tid <- myThreadId
  labelThread tid "main"
  mv <- newEmptyMVar
  forM_ [1..4::Int] $ \i -> forkIO $ do
    t <- myThreadId
    labelThread t ("worker " ++ show i)
    traceEventIO ("START " ++ show i ++ " work")
    let m = M.fromList [(k, show k) | k <- [1..n `div` 4 + i]]
    M.size m `seq` traceEventIO ("STOP " ++ show i ++ " work")
    putMVar mv (M.size m)
  rs <- replicateM 4 (takeMVar mv)
  traceEventIO "START sparks"
  let a = fib 22; b = fib 23
  r <- return $! (a `par` (b `pseq` (a + b)))
  traceEventIO "STOP sparks"
  print (sum rs, r)
